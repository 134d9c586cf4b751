# Shape: a mailer library's unit test: CustomSMTPServer(smtpd.SMTPServer) whose
# 4-argument process_message (default decode_data: TypeError on every message under
# Python 3) puts the envelope on self.queue, an attribute the test assigns after
# construction; helper(), a daemon thread's target, builds the server, sets server.queue,
# puts 'ready' (here with the port) on the queue and runs asyncore.loop(use_poll=True);
# setUp makes the Queue and tearDown does nothing, so the loop thread is never stopped:
# the process ends around it. (The test body waits for stdin to close, then drains the
# queue.)
import asyncore
import queue
import smtpd
import sys
import threading
import unittest

from _record import record


class CustomSMTPServer(smtpd.SMTPServer):

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.queue.put((peer, mailfrom, rcpttos, data))
        return


class BasicTestCase(unittest.TestCase):

    def helper(self):
        server = CustomSMTPServer(("127.0.0.1", 0), None)
        server.queue = self.queue
        self.queue.put(("ready", server.socket.getsockname()[1]))
        asyncore.loop(use_poll=True)

    def setUp(self):
        self.queue = queue.Queue()

    def tearDown(self):
        pass

    def runTest(self):
        """Tests basic functionality."""
        t = threading.Thread(target=self.helper)
        t.daemon = True
        t.start()
        state, port = self.queue.get(timeout=10)
        self.assertEqual(state, "ready")
        print(port, flush=True)
        sys.stdin.read()  # the mailer under test sends here
        messages = []
        while not self.queue.empty():
            messages.append(self.queue.get())
        print("messages queued:", len(messages))
        for peer, mailfrom, rcpttos, data in messages:
            print(" ", peer[0], mailfrom, rcpttos, len(data))


if __name__ == "__main__":
    case = BasicTestCase()
    case.setUp()
    try:
        case.runTest()
    finally:
        case.tearDown()
