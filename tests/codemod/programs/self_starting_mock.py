# A UI test suite's mock mail server: a (SMTPServer, Thread) class whose __init__ binds,
# makes its thread a daemon and starts itself; run() is one blocking loop; there is no
# stop(): the tests end it with the server's own close(). Helpers count and match what
# it received; the suite checks them once its browser steps are done.
import asyncore
import re
import smtpd
import sys
import threading

from _record import record


class MockMailServer(smtpd.SMTPServer, threading.Thread):
    """Receives the mail the application sends while the tests drive it."""

    def __init__(self, host, port):
        threading.Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, (host, port), None)
        self.daemon = True
        self.received = []
        self.start()

    def run(self):
        asyncore.loop()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.received.append((mailfrom, data))

    def count(self):
        return len(self.received)

    def matching(self, pattern):
        return [f for f, d in self.received if re.search(pattern, d.decode("utf-8", "replace"))]


mock = MockMailServer("127.0.0.1", 0)
print(mock.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the suite closes stdin when its dialogues are done
print("received:", mock.count(), flush=True)
print("dot lines from:", mock.matching(r"(?m)^\.dot line"), flush=True)
mock.close()
print("closed", flush=True)
