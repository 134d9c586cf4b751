# Shape: a web-test helper library's SMTP server: SmtpServer(smtpd.SMTPServer, Thread) whose
# __init__(host, port) calls Thread.__init__ then SMTPServer.__init__ by name and sets
# daemon; a 4-argument process_message (default decode_data, so TypeError on every message
# under Python 3) that would copy the envelope into an RLock-guarded data dict and a
# history list, parsing with email.parser.Parser().parsestr; a classmethod start_server(),
# a @contextlib.contextmanager smtp_server() yielding the started server and calling
# stop(); host/port properties reading self.socket.getsockname(); run() polls
# asyncore.loop(timeout=0.01, count=1) while self._continue; a __getattribute__ override
# that only calls object.__getattribute__. The test driver waits for stdin to close.
import asyncore
import contextlib
import email.parser
import logging
import smtpd
import sys
from threading import RLock, Thread

from _record import record

lock = RLock()
log = logging.getLogger("httptestserver.smtp")

DEFAULT_HOST = "127.0.0.1"  # loopback
DEFAULT_PORT = 0  # random port


def start_smtp_server(host=None, port=None):
    """Create a started Smtp server listening in *host*:*port*"""
    return SmtpServer.start_server(host or DEFAULT_HOST, port or DEFAULT_PORT)


@contextlib.contextmanager
def smtp_server(*args, **kwargs):
    """Context of a started SmtpServer."""
    server = start_smtp_server(*args, **kwargs)
    yield server
    server.stop()


class SmtpServer(smtpd.SMTPServer, Thread):
    """SMTP Server that starts in a child thread."""

    def __init__(self, host, port):
        Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, (host, port), None)
        self._data = {}
        self._history = []
        self._continue = True
        self.daemon = True  # finish along with parent process

    @classmethod
    def start_server(cls, host, port):
        log.info("Starting http server %s:%d", host, port)
        server = cls(host, port)
        server.start()
        return server

    def process_message(self, peer, mailfrom, rcpttos, data):
        """Process a received smtp message"""
        record(peer, mailfrom, rcpttos, data)
        self.update_state(peer, mailfrom, rcpttos, data)
        self.save_history()

    def update_state(self, peer, mailfrom, rcpttos, data):
        self.data.update(
            dict(
                peer=peer,
                mailfrom=mailfrom,
                recipients=rcpttos,
                message_data=data,
                message=self.parse_message(data),
            )
        )

    def save_history(self):
        self._history.append(dict(self.data))

    def parse_message(self, data):
        return email.parser.Parser().parsestr(data)

    @property
    def data(self):
        with lock:
            return self._data

    def reset(self):
        with lock:
            self._data = {}
            self._history = []

    @property
    def history(self):
        with lock:
            return self._history

    @property
    def host(self):
        return self.socket.getsockname()[0]

    @property
    def port(self):
        return self.socket.getsockname()[1]

    def stop(self):
        """Stops the server thread"""
        self._continue = False
        self.close()

    def run(self):
        try:
            log.info("Starting server")
            while self._continue:
                asyncore.loop(timeout=0.01, count=1)
        finally:
            log.info("Stopped server")

    def __getattribute__(self, attr):
        return object.__getattribute__(self, attr)


if __name__ == "__main__":
    with smtp_server() as server:
        print(server.port, flush=True)
        sys.stdin.read()
        print("messages seen:", len(server.history))
        for entry in server.history:
            print(entry["mailfrom"], entry["recipients"], entry["message"]["Subject"])
