# A unittest-style fixture keeping its server on the class: setUpClass() makes it and starts
# a loop thread, tearDownClass() closes it and joins; the harness drives both by hand.
import asyncore
import smtpd
import sys
import threading

from _record import record


class Outbox(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        MailCase.delivered.append(rcpttos)


class MailCase:
    delivered = []

    @classmethod
    def setUpClass(cls):
        cls.server = Outbox(("127.0.0.1", 0), None)
        cls.port = cls.server.socket.getsockname()[1]
        cls.loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
        cls.loop.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        cls.loop.join(10)


MailCase.setUpClass()
print(MailCase.port, flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
MailCase.tearDownClass()
print("delivered:", len(MailCase.delivered), "loop alive:", MailCase.loop.is_alive(), flush=True)
