# Shape: a pytest plugin's SMTP fixture: _SMTPServer(SMTPServer) with __init__(host,
# messages) and a process_message whose mail_options and rcpt_options are REQUIRED
# positional parameters (no defaults), storing RecordedMessage namedtuples; an
# SMTPServerThread(Thread) whose run() reads SMTPD_HOST/SMTPD_PORT from the environment,
# builds the server, publishes host_port and runs asyncore.loop(timeout=0.1); an
# SMTPFixture whose host_port property polls until the thread set it; close() closes the
# server and joins. (SMTPD_PORT defaults to 0 here; the original defaulted to 8025.)
import asyncore
import sys
import time
from collections import namedtuple
from os import getenv
from smtpd import SMTPServer
from threading import Thread

from _record import record

RecordedMessage = namedtuple(
    "RecordedMessage",
    "peer, mailfrom, rcpttos, data, mail_options, rcpt_options",
)


class _SMTPServer(SMTPServer):
    def __init__(self, host, messages):
        super().__init__(host, None)
        self._messages = messages

    def process_message(self, peer, mailfrom, rcpttos, data, mail_options, rcpt_options):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        msg = RecordedMessage(peer, mailfrom, rcpttos, data, mail_options, rcpt_options)
        self._messages.append(msg)


class SMTPServerThread(Thread):
    def __init__(self, messages):
        super().__init__()
        self.messages = messages
        self.host_port = None

    def run(self):
        host = getenv("SMTPD_HOST", "127.0.0.1")
        port = int(getenv("SMTPD_PORT", "0"))
        self.smtp = _SMTPServer((host, port), self.messages)
        self.host_port = self.smtp.socket.getsockname()
        asyncore.loop(timeout=0.1)

    def close(self):
        self.smtp.close()


class SMTPFixture:
    def __init__(self):
        self._messages = []
        self._thread = SMTPServerThread(self._messages)
        self._thread.start()

    @property
    def host_port(self):
        while self._thread.host_port is None:
            time.sleep(0.1)
        return self._thread.host_port

    @property
    def messages(self):
        return self._messages.copy()

    def close(self):
        self._thread.close()
        self._thread.join(10)


if __name__ == "__main__":
    fixture = SMTPFixture()
    print(fixture.host_port[1], flush=True)
    sys.stdin.read()
    fixture.close()
    for m in fixture.messages:
        print(m.mailfrom, m.rcpttos, m.mail_options, m.rcpt_options, type(m.data).__name__)
