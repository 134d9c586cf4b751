# A fixture thread class with Thread imported by name, polling until stopped.
import asyncore
import smtpd
import sys
from threading import Thread

from _record import record


class SMTPFixture(smtpd.SMTPServer, Thread):
    def __init__(self, localaddr):
        Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self.received = []
        self.running = False

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.received.append(mailfrom)
        record(peer, mailfrom, rcpttos, data, **kwargs)

    def run(self):
        self.running = True
        while self.running:
            asyncore.loop(timeout=0.05, count=1)
        self.close()

    def stop(self):
        self.running = False
        self.join(10)


fixture = SMTPFixture(("127.0.0.1", 0))
fixture.start()
print(fixture.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
fixture.stop()
print("received", fixture.received, flush=True)
