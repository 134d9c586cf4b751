# Shape: a service-client test module: MailServer(smtpd.SMTPServer) with a CLASS-level
# `messages = []` list and process_message(self, *args, **kwargs) appending the raw
# (args, kwargs) tuple; the test's setUp builds the server on ('localhost', port) and runs
# Thread(target=asyncore.loop, kwargs={'timeout': 1}); tearDown closes the server and joins
# the thread; assertions read MailServer.messages through the class.
import asyncore
import smtpd
import sys
import threading

from _record import record


class MailServer(smtpd.SMTPServer):
    messages = []

    def process_message(self, *args, **kwargs):
        record(*args, **kwargs)
        self.messages.append((args, kwargs))


class TestServiceClients:
    def setUp(self):
        self.server = MailServer(("127.0.0.1", 0), None)
        self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 1})
        self.thread.start()

    def tearDown(self):
        self.server.close()
        self.thread.join()


if __name__ == "__main__":
    test = TestServiceClients()
    test.setUp()
    print(test.server.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    test.tearDown()
    for args, kwargs in MailServer.messages:
        print(args[1], args[2], sorted(kwargs))
