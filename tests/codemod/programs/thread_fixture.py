# A test fixture: the loop on a thread, stopped with close() and join().
import asyncore
import smtpd
import sys
import threading

from _record import record


class FixtureServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = FixtureServer(("127.0.0.1", 0), None)
thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
thread.daemon = True
thread.start()
print(server.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
server.close()
thread.join(10)
print("stopped", not thread.is_alive(), flush=True)
