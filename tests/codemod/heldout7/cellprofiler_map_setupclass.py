# Shape: an image-analysis suite's SendEmail module tests: MockSMTPServer(smtpd.SMTPServer)
# whose __init__(queue) calls the base by name with ('localhost', 0), None and keeps the
# queue, a 4-argument process_message (default decode_data: TypeError on every message
# under Python 3) putting (peer, mailfrom, rcpttos, data) on the queue; a unittest
# TestCase whose setUpClass builds the server, reads cls.port from server.socket, starts a
# Thread(target=cls.threadFn) made daemon with setDaemon(True), threadFn a classmethod
# running asyncore.loop(map=cls.server._map) (the server's private map, which is the
# default map), tearDownClass closing the server and joining the thread; a recv() helper
# draining the queue. (Run by hand instead of unittest.main, whose report has timings;
# the loop gets timeout=0.1 so that the join after close() returns at once; the test
# waits for stdin to close.)
import asyncore
import queue as Queue
import smtpd
import sys
import threading
import unittest

from _record import record

SENDER = "sender@cellprofiler.example"


def recipient_addr(idx):
    return "recipient%d@cellprofiler.example" % (idx + 1)


class MockSMTPServer(smtpd.SMTPServer):
    def __init__(self, queue):
        smtpd.SMTPServer.__init__(self, ("127.0.0.1", 0), None)
        self.queue = queue

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.queue.put((peer, mailfrom, rcpttos, data))


class TestSendEmail(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.queue = Queue.Queue()
        cls.server = MockSMTPServer(cls.queue)
        cls.port = cls.server.socket.getsockname()[1]
        cls.thread = threading.Thread(target=cls.threadFn)
        cls.thread.setDaemon(True)
        cls.thread.start()

    @classmethod
    def threadFn(cls):
        asyncore.loop(timeout=0.1, map=cls.server._map)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.thread.join()

    def recv(self):
        received = []
        while True:
            try:
                received.append(self.queue.get_nowait())
            except Queue.Empty:
                return received

    def test_01_send_to_one(self):
        sys.stdin.read()
        messages = self.recv()
        print("messages:", len(messages))
        for peer, mailfrom, rcpttos, data in messages:  # noqa: B007
            print(mailfrom, rcpttos, len(data))


if __name__ == "__main__":
    TestSendEmail.setUpClass()
    print(TestSendEmail.port, flush=True)
    try:
        TestSendEmail("test_01_send_to_one").test_01_send_to_one()
    finally:
        TestSendEmail.tearDownClass()
    print("thread alive:", TestSendEmail.thread.is_alive())
