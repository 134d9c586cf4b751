# A fixture server that keeps per-thread state: a threading.local counter set up by the
# thread that runs the loop (a worker thread of the test suite), read back by
# process_message, which fails where that state is missing.
import asyncore
import smtpd
import sys
import threading

from _record import record

state = threading.local()


class CountingServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        state.count += 1
        print("message", state.count, flush=True)


def serve(server):
    state.count = 0
    asyncore.loop()


server = CountingServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
loop_thread = threading.Thread(target=serve, args=(server,), daemon=True)
loop_thread.start()
sys.stdin.read()  # the test suite closes stdin when it is done
server.close()
loop_thread.join(10)
