# The loop on a thread that the main thread joins as its way to serve until the end:
# another thread closes the server when stdin closes; only then does the join return and
# the count of messages get printed.
import asyncore
import smtpd
import sys
import threading

from _record import record


class CountServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.count = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.count += 1


def close_at_end_of_input(server):
    sys.stdin.readline()  # the test closes stdin when its dialogues are done
    server.close()


counter = CountServer(("127.0.0.1", 0), None)
loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
loop.start()
print(counter.socket.getsockname()[1], flush=True)
threading.Thread(target=close_at_end_of_input, args=(counter,)).start()
loop.join(60)
print("served", counter.count, "loop ended", not loop.is_alive(), flush=True)
