# Shape: a mock server for client tests with an extra constructor argument (silent),
# a debug() helper, a 550 reply for a known bad recipient, and run() starting the loop
# on a thread; the test stops it with close().
import asyncore
import smtpd
import sys
import threading

from _record import record


class RejectingMock(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, silent=False):
        self.silent = silent
        self.debug("mock server starting")
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)

    def debug(self, text):
        if not self.silent:
            print(text)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if "nobody@example.com" in rcpttos:
            return "550 no such user %s" % rcpttos[0]
        self.debug("accepted mail for %d recipients" % len(rcpttos))

    def run(self):
        self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
        self.thread.start()


mock = RejectingMock(("127.0.0.1", 0), None)
mock.run()
print(mock.socket.getsockname()[1], flush=True)
sys.stdin.readline()
mock.close()
mock.thread.join(10)
print("stopped", not mock.thread.is_alive(), flush=True)
