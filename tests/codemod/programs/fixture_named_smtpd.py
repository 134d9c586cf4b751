# A test suite's mail sink whose fixture is named after the module it replaced: `import
# smtpd`, a sink on smtpd.SMTPServer, then `def smtpd()` building it and starting the loop
# on a daemon thread, and helpers taking the fixture as a parameter named smtpd. Stopped
# by closing stdin, as a test session ends; it then prints what the tests would assert.
import asyncore
import smtpd
import sys
import threading

from _record import record


class RecordingSink(smtpd.SMTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), None)
        self.messages = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.messages.append((mailfrom, tuple(rcpttos)))


def smtpd():  # noqa: F811  (the fixture's name, as the suite's tests ask for it)
    sink = RecordingSink()
    threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True).start()
    return sink


def senders(smtpd):
    return sorted({sender for sender, _ in smtpd.messages})


if __name__ == "__main__":
    fixture = smtpd()
    print(fixture.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    print("delivered", len(fixture.messages), "from", senders(fixture))
