# A reusable loop helper: a base class polls the shared map one pass at a time (the map under a
# local name, positional arguments) until a "done" list gets an entry; a fixture subclass
# makes its server in setUp(), then starts the helper. Run as 30 tests in a row, then once.
import asyncore
import smtpd
import smtplib
import sys
import threading

from _record import record


class BackgroundLoop:
    def _serve(self, done, interval=0.05, map=None):
        if map is None:
            map = asyncore.socket_map
        while not done and map:
            asyncore.loop(interval, False, map, 1)

    def start_loop(self):
        self.done = []
        self.thread = threading.Thread(target=self._serve, args=(self.done,))
        self.thread.start()

    def stop_loop(self):
        self.done.append(True)
        self.thread.join(10)


class CountingServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.count = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.count += 1


class MailFixture(BackgroundLoop):
    def setUp(self):
        self.mail = CountingServer(("127.0.0.1", 0), None)
        self.port = self.mail.socket.getsockname()[1]
        self.start_loop()

    def tearDown(self):
        self.mail.close()
        self.stop_loop()


for attempt in range(30):
    fixture = MailFixture()
    fixture.setUp()
    with smtplib.SMTP("127.0.0.1", fixture.port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], "Subject: %d\r\n\r\nhi" % attempt)
    fixture.tearDown()
    assert not fixture.thread.is_alive(), attempt
    assert fixture.mail.count == 1, fixture.mail.count

fixture = MailFixture()
fixture.setUp()
print(fixture.port, flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
fixture.tearDown()
print("count", fixture.mail.count, "alive", fixture.thread.is_alive(), flush=True)
