# Shape: a lab-automation project's mail capture for browser tests: MailCaptureThread
# (**kwargs, asserting asyncore.socket_map is empty, daemon) whose run() defines
# CapturingSMTPServer closing over captured_mails (4-argument process_message, default
# decode_data, a debug log line) with a close() override that also closes orphaned
# channels found in asyncore.socket_map through the mangled _SMTPChannel__server; run()
# binds a fixed port, loops asyncore.loop(timeout=1, count=1) while _running, and closes
# the server in finally; stop() clears the flag and joins.
import asyncore
import logging
import smtpd
import socket
import sys
import threading
import time

from _record import record

log = logging.getLogger(__name__)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SMTP_PORT = free_port()  # the project hard-codes one


class MailCaptureThread(threading.Thread):
    def __init__(self, **kwargs):
        # smtpd.SMTPServer uses asyncore's global map: this thread must be its only user.
        assert not asyncore.socket_map, asyncore.socket_map
        super(MailCaptureThread, self).__init__(**kwargs)  # noqa: UP008
        self.daemon = True
        self._running = True
        self.captured_mails = []

    def stop(self):
        self._running = False
        self.join()

    def run(self):
        captured_mails = self.captured_mails

        class CapturingSMTPServer(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data):
                record(peer, mailfrom, rcpttos, data)
                log.debug(
                    "%r: Captured mail from peer %r: %r", self, peer, (mailfrom, rcpttos, data)
                )
                captured_mails.append((mailfrom, rcpttos, data))

            def close(self):
                smtpd.SMTPServer.close(self)
                # also clean up any orphaned SMTP channels
                for dispatcher in list(asyncore.socket_map.values()):
                    if (
                        isinstance(dispatcher, smtpd.SMTPChannel)
                        and dispatcher._SMTPChannel__server is self
                    ):
                        log.debug("%r: Forcing close of orphaned channel %r", self, dispatcher)
                        dispatcher.close()

        server = CapturingSMTPServer(("127.0.0.1", SMTP_PORT), None)
        log.debug("Spawning %r", server)
        try:
            while self._running:
                asyncore.loop(timeout=1, count=1)
        finally:
            server.close()


def wait_until_listening(port):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.01)


if __name__ == "__main__":
    mail_capture = MailCaptureThread()
    mail_capture.start()
    wait_until_listening(SMTP_PORT)
    print(SMTP_PORT, flush=True)
    sys.stdin.readline()
    mail_capture.stop()
    for mailfrom, rcpttos, data in mail_capture.captured_mails:
        print("captured", mailfrom, rcpttos, len(data))
    print("captured", len(mail_capture.captured_mails), "mails")
