# Shape: a service's integration-test fake: FakeSMTPServer(smtpd.SMTPServer) with a
# no-argument __init__ calling the base by name on a fixed address (here port 0; comment
# "this is an old-style class"), a _messages list and a threading.Lock; a 4-argument
# process_message (default decode_data: TypeError on every message under Python 3) that
# would append, under the lock, to the `messages` property, which takes the same lock and
# returns a copy; clear_messages(); a generator fixture starting
# Thread(target=asyncore.loop, kwargs={'timeout': 0.1}) as a daemon, yielding the server,
# then closing it and joining the thread. (The test waits for stdin to close.)
import asyncore
import smtpd
import sys
import threading
from collections import namedtuple

from _record import record

Message = namedtuple("Message", ["peer", "mailfrom", "rcpttos", "data"])


class FakeSMTPServer(smtpd.SMTPServer):
    def __init__(self):
        # this is an old-style class :(
        smtpd.SMTPServer.__init__(self, ("127.0.0.1", 0), None)
        self._messages = []
        self.lock = threading.Lock()

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        with self.lock:
            self.messages.append(Message(peer, mailfrom, rcpttos, data))

    def clear_messages(self):
        with self.lock:
            self.messages = []

    @property
    def messages(self):
        with self.lock:
            return self._messages.copy()


def smtp_server():
    server = FakeSMTPServer()
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
    thread.daemon = True
    thread.start()
    yield server
    server.close()
    thread.join(timeout=5)


def test_report_is_mailed(server):
    print(server.socket.getsockname()[1], flush=True)
    sys.stdin.read()  # the service sends its report here
    print("messages:", len(server.messages))


if __name__ == "__main__":
    fixture = smtp_server()
    test_report_is_mailed(next(fixture))
    for _ in fixture:
        pass
    print("done")
