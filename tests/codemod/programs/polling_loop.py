# A sink that polls the loop once at a time until its signal handler clears a flag,
# then closes the server and reports.
import asyncore
import signal
import smtpd

from _record import record

running = True


def interrupted(signum, frame):
    global running
    running = False


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


signal.signal(signal.SIGINT, interrupted)
server = Sink(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
while running:
    asyncore.loop(timeout=0.05, count=1)
server.close()
print("stopped cleanly", flush=True)
