# Shape: a mail library's pytest fixture: a channel subclass adding smtp_AUTH that
# always answers 235, a Thread subclass whose run() defines the server class (that
# channel_class, process_message(*args, **kwargs)), publishes host_port and loops;
# a fixture object starts it, waits for host_port and closes it at the end.
import asyncore
import sys
import time
from smtpd import SMTPChannel, SMTPServer
from threading import Thread

from _record import record


class CustomSMTPChannel(SMTPChannel):
    def smtp_AUTH(self, arg):
        self.push("235 2.7.0 Authentication successful")


class SMTPServerThread(Thread):
    def __init__(self):
        super().__init__()
        self.host_port = None
        self.received = 0

    def run(self):
        thread = self

        class _SMTPServer(SMTPServer):
            channel_class = CustomSMTPChannel

            def process_message(self, *args, **kwargs):
                record(*args, **kwargs)
                thread.received += 1

        self.smtp = _SMTPServer(("127.0.0.1", 0), None)
        self.host_port = self.smtp.socket.getsockname()
        asyncore.loop(timeout=0.1)

    def close(self):
        self.smtp.close()


class SMTPServerFixture:
    def __init__(self):
        self._thread = SMTPServerThread()
        self._thread.start()

    @property
    def host_port(self):
        deadline = time.monotonic() + 10
        while self._thread.host_port is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return self._thread.host_port

    def close(self):
        self._thread.close()
        self._thread.join(10)


if __name__ == "__main__":
    fixture = SMTPServerFixture()
    print(fixture.host_port[1], flush=True)
    sys.stdin.readline()
    fixture.close()
    print("received", fixture._thread.received)
