# Shape: the stdlib logging tests' SMTP server: TestSMTPServer(smtpd.SMTPServer) with
# __init__(addr, handler, poll_interval, sockmap) passing a private map= and
# decode_data=True, reading self.port from its socket, a 4-argument process_message that
# delegates to the handler given to the constructor; start() runs serve_forever(poll_interval)
# on a daemon thread: `while not self._quit: asyncore.loop(poll_interval, map=self._map,
# count=1)`; stop() sets _quit, joins, closes, and asyncore.close_all(map=..., ignore_all=True).
import asyncore
import smtpd
import sys
import threading

from _record import record


class TestSMTPServer(smtpd.SMTPServer):
    """
    This class implements a test SMTP server.

    :param addr: A (host, port) tuple which the server listens on.
    :param handler: A callable which will be called to process incoming messages.
    :param poll_interval: The interval, in seconds, used in the underlying select or poll
                          call by asyncore.loop.
    :param sockmap: A dictionary which will be used to hold asyncore.dispatcher instances.
    """

    def __init__(self, addr, handler, poll_interval, sockmap):
        smtpd.SMTPServer.__init__(self, addr, None, map=sockmap, decode_data=True)
        self.port = self.socket.getsockname()[1]
        self._handler = handler
        self._thread = None
        self._quit = False
        self.poll_interval = poll_interval

    def process_message(self, peer, mailfrom, rcpttos, data):
        """Delegates to the handler passed in to the server's constructor."""
        self._handler(peer, mailfrom, rcpttos, data)

    def start(self):
        """Start the server running on a separate daemon thread."""
        self._thread = t = threading.Thread(target=self.serve_forever, args=(self.poll_interval,))
        t.daemon = True
        t.start()

    def serve_forever(self, poll_interval):
        while not self._quit:
            asyncore.loop(poll_interval, map=self._map, count=1)

    def stop(self):
        """Stop the thread by closing the server instance."""
        self._quit = True
        self._thread.join(10)
        self._thread = None
        self.close()
        asyncore.close_all(map=self._map, ignore_all=True)


class SMTPHandlerTest:
    TIMEOUT = 10.0

    def setUp(self):
        self.messages = []
        self.handled = threading.Event()
        sockmap = {}
        self.server = TestSMTPServer(("127.0.0.1", 0), self.process_message, 0.001, sockmap)
        self.server.start()

    def process_message(self, *args):
        record(*args)
        self.messages.append(args)
        self.handled.set()

    def tearDown(self):
        self.server.stop()


if __name__ == "__main__":
    test = SMTPHandlerTest()
    test.setUp()
    print(test.server.port, flush=True)
    sys.stdin.read()
    test.tearDown()
    for _peer, mailfrom, rcpttos, data in test.messages:
        print(mailfrom, rcpttos, data.splitlines()[0])
