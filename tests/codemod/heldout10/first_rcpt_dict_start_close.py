# Shape: an application's notification tests: TestSMTPServer(smtpd.SMTPServer) whose
# __init__(localaddr) sets a received dict before calling the base by name and reads
# self._port back from the socket; a 4-argument process_message (default decode_data:
# TypeError on every message under Python 3) keeps the data under the first recipient
# only; start() runs Thread(target=asyncore.loop, kwargs={'timeout': 0.1}); close()
# overrides the base's to close, then join the thread. (setUp starts it, the test waits
# for stdin to close, tearDown closes it and prints what was received.)
import asyncore
import smtpd
import sys
import threading

from _record import record


class TestSMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr):
        self.received = {}
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self._port = self.socket.getsockname()[1]

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.received[rcpttos[0]] = data

    def start(self):
        self.thread = threading.Thread(target=asyncore.loop,
                                       kwargs={"timeout": 0.1})
        self.thread.start()

    def close(self):
        smtpd.SMTPServer.close(self)
        self.thread.join()


class NotificationTest:
    def setUp(self):
        self.smtp = TestSMTPServer(("127.0.0.1", 0))
        self.smtp.start()
        print(self.smtp._port, flush=True)

    def test_notifications_are_mailed(self):
        sys.stdin.read()  # the notifier sends here
        print("received for:", sorted(self.smtp.received))

    def tearDown(self):
        self.smtp.close()
        print("thread alive:", self.smtp.thread.is_alive())


if __name__ == "__main__":
    test = NotificationTest()
    test.setUp()
    try:
        test.test_notifications_are_mailed()
    finally:
        test.tearDown()
