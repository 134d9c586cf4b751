# Shape: a channel overriding handle_error to log one line instead of asyncore's
# report, then close; the server fails for one recipient.
import asyncore
import smtpd
import sys

from _record import record


class QuietChannel(smtpd.SMTPChannel):
    def handle_error(self):
        print("channel error:", sys.exc_info()[1], flush=True)
        self.close()


class QuietServer(smtpd.SMTPServer):
    channel_class = QuietChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        if "boom@example.com" in rcpttos:
            raise ValueError("refusing boom")
        record(peer, mailfrom, rcpttos, data, **kwargs)


quiet = QuietServer(("127.0.0.1", 0), None)
print(quiet.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    quiet.close()
