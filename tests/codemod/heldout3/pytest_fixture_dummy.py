# Shape: a project's conftest fake SMTP server: DummySMTPServer with
# super().__init__(*args, **kwargs) and a messages list of raw data, a yield fixture
# starting Thread(target=asyncore.loop, daemon=True), a short sleep, then server.close()
# after the test; here the fixture is driven by hand and the test reads the messages.
import asyncore
import smtpd
import sys
import threading
import time

from _record import record


class DummySMTPServer(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.messages = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.messages.append(data)


def fake_smtp_server():
    server = DummySMTPServer(("127.0.0.1", 0), None)
    thread = threading.Thread(target=asyncore.loop, daemon=True)
    thread.start()
    time.sleep(0.1)
    yield server
    server.close()


def test_sends_mail(server):
    print(server.socket.getsockname()[1], flush=True)
    sys.stdin.readline()
    assert server.messages
    print("messages:", len(server.messages))
    print(server.messages[0].splitlines()[0])


if __name__ == "__main__":
    fixture = fake_smtp_server()
    test_sends_mail(next(fixture))
    next(fixture, None)
