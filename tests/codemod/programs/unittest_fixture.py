# A unittest-style fixture: setUp starts the server on a thread, tearDown closes it.
import asyncore
import smtpd
import sys
import threading

from _record import record


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


class SMTPTestCase:
    def setUp(self):
        self.smtp = Sink(("127.0.0.1", 0), None)
        self.port = self.smtp.socket.getsockname()[1]
        self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
        self.thread.start()

    def tearDown(self):
        self.smtp.close()
        self.thread.join(10)


case = SMTPTestCase()
case.setUp()
print(case.port, flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
case.tearDown()
print("torn down", not case.thread.is_alive(), flush=True)
