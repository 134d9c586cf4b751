# Shape: a mailer library's testing module: DebuggingSMTPServer(SMTPServer, Thread) (names
# imported with `from smtpd import SMTPServer`, `from asyncore import loop`) whose __init__
# calls SMTPServer.__init__ by name, reads the bound address back when self._localaddr[1]
# is 0, keeps messages in a deque, sets self._stop = Event() (shadowing Thread's own _stop)
# and an RLock, then Thread.__init__; process_message(self, peer, sender, recipients, data)
# with renamed parameters and no kwargs (TypeError on every message under Python 3)
# appending TestMessage namedtuples parsed with Parser().parsestr; __getitem__/__len__/
# __iter__/drain()/next(); a pytest-style fixture that would start() the thread; run as a
# script, the classmethod main() builds the server, prints where it runs and calls
# loop() in try/except KeyboardInterrupt: pass. (The default port is 0 here, not 2526.)

from __future__ import print_function  # noqa: UP010

from asyncore import loop
from collections import deque, namedtuple
from email.parser import Parser
from smtpd import SMTPServer
from threading import Event, RLock, Thread

from _record import record

try:
    from pytest import fixture
except ImportError:  # We don't honestly care if pytest is installed.

    def fixture(fn):
        return fn


TestMessage = namedtuple("TestMessage", ("sender", "recipients", "message", "raw"))


class DebuggingSMTPServer(SMTPServer, Thread):
    """A generalized testing SMTP server that captures messages delivered to it."""

    POLL_TIMEOUT = 0.001

    def __init__(self, host="127.0.0.1", port=0):
        SMTPServer.__init__(self, (host, port), None)
        if self._localaddr[1] == 0:
            self.address = self.socket.getsockname()
        else:
            self.address = (host, port)
        self.messages = deque()
        self._stop = Event()
        self._lock = RLock()
        Thread.__init__(self, name=self.__class__.__name__)

    @classmethod
    def main(cls):
        server = cls()
        print(server.address[1], flush=True)
        print("Debugging SMTP server is running on ", server.address[0], ":", server.address[1],
              sep="")
        print("Press Control+C to stop.")
        try:
            loop()
        except KeyboardInterrupt:
            pass
        print("Captured", len(server), "messages.")

    def process_message(self, peer, sender, recipients, data):
        record(peer, sender, recipients, data)
        message = TestMessage(sender, recipients, Parser().parsestr(data), data)
        with self._lock:
            self.messages.append(message)

    def run(self):
        while not self._stop.is_set():
            loop(timeout=self.POLL_TIMEOUT, count=1)

    def stop(self, timeout=None):
        self._stop.set()
        self.join(timeout)
        self.close()

    def __getitem__(self, i):
        return self.messages.__getitem__(i)

    def __len__(self):
        return len(self.messages)

    def __iter__(self):
        return iter(self.messages)

    def drain(self):
        with self._lock:
            self.messages.clear()

    def next(self):
        with self._lock:
            return self.messages.popleft()


@fixture
def smtp(request):
    server = DebuggingSMTPServer()
    server.start()
    request.add_finalizer(server.stop)
    return server


if __name__ == "__main__":  # pragma: no cover
    DebuggingSMTPServer.main()
