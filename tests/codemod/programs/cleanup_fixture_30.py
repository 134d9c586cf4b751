# A unittest fixture registering its shutdown with addCleanup: the join first, then the
# server's bound close method (cleanups run last in, first out). Set up and cleaned up
# 30 times in a row with a message each time, then once more for the dialogues.
import asyncore
import smtpd
import smtplib
import sys
import threading
import unittest

from _record import record


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.seen.append(rcpttos[0])


class SinkFixture(unittest.TestCase):
    def runTest(self):
        pass

    def setUp(self):
        self.sink = Sink(("127.0.0.1", 0), None)
        self.sink.seen = []
        self.loop_thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
        self.loop_thread.start()
        self.addCleanup(self.loop_thread.join, 10)
        self.addCleanup(self.sink.close)

    def port(self):
        return self.sink.socket.getsockname()[1]


for attempt in range(30):
    case = SinkFixture()
    case.setUp()
    with smtplib.SMTP("127.0.0.1", case.port(), timeout=10) as client:
        client.sendmail("a@example.com", ["n%d@example.com" % attempt], "Subject: hi\r\n\r\nx")
    case.doCleanups()
    assert not case.loop_thread.is_alive(), attempt
    assert case.sink.seen == ["n%d@example.com" % attempt], case.sink.seen

case = SinkFixture()
case.setUp()
print(case.port(), flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
case.doCleanups()
print("seen", case.sink.seen, "alive", case.loop_thread.is_alive(), flush=True)
