# Shape: a Django app's notification tests: Sink(smtpd.SMTPServer) with only a class-level
# annotation `received: list`, process_message(**kwargs) appending (mailfrom, rcpttos,
# data) to it; an SmtpSink helper that assigns its own list to the CLASS attribute
# Sink.received, binds a port found beforehand by free_port() with decode_data=False
# spelled out, keeps an unused self.map = {}, and runs `while self.running:
# asyncore.loop(timeout=0.1, count=1)` on a daemon thread; stop() clears the flag, joins
# with a timeout and closes the server. (The test body is the harness; it ends when stdin
# closes and prints what the sink holds.)
import asyncore
import smtpd
import socket
import sys
import threading
import warnings
from email import message_from_bytes

from _record import record

warnings.filterwarnings("ignore", category=DeprecationWarning)


class Sink(smtpd.SMTPServer):
    received: list

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.received.append((mailfrom, rcpttos, data))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    def __init__(self, port):
        self.received = []
        Sink.received = self.received
        self.server = Sink(("127.0.0.1", port), None, decode_data=False)
        self.map = {}
        self.running = True
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.running:
            asyncore.loop(timeout=0.1, count=1)

    def stop(self):
        self.running = False
        self.thread.join(2)
        self.server.close()


if __name__ == "__main__":
    sink = SmtpSink(free_port())
    print(sink.server.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    sink.stop()
    for mailfrom, rcpttos, data in sink.received:
        print(mailfrom, rcpttos, message_from_bytes(data)["Subject"])
    print("alive after stop:", sink.thread.is_alive())
