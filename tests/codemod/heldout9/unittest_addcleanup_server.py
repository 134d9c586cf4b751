# Shape: a unittest TestCase for a password-reset mailer: setUp() builds
# CapturingServer(smtpd.SMTPServer) on port 0 (a 4-argument process_message, default
# decode_data: TypeError on every message under Python 3, appending to self.captured),
# starts Thread(target=asyncore.loop, kwargs={"timeout": 0.05}) and registers
# self.addCleanup(thread.join) then self.addCleanup(server.close) (cleanups run last in,
# first out); the test waits for the mail and asserts one was captured. (Run by hand with a
# unittest.TestResult so that no timing line is printed; the test waits for stdin to
# close; the result is printed.)
import asyncore
import smtpd
import sys
import threading
import unittest

from _record import record


class CapturingServer(smtpd.SMTPServer):
    def __init__(self, localaddr):
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self.captured = []

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.captured.append((mailfrom, rcpttos, data))


class PasswordResetMailTest(unittest.TestCase):
    def setUp(self):
        self.server = CapturingServer(("127.0.0.1", 0))
        self.port = self.server.socket.getsockname()[1]
        thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(self.server.close)
        print(self.port, flush=True)

    def test_reset_mail_sent(self):
        sys.stdin.read()
        self.assertEqual(len(self.server.captured), 1)


if __name__ == "__main__":
    result = unittest.TestResult()
    PasswordResetMailTest("test_reset_mail_sent").run(result)
    print("ran:", result.testsRun, "failures:", len(result.failures),
          "errors:", len(result.errors))
    for _, text in result.failures:
        print(text.strip().splitlines()[-1])
