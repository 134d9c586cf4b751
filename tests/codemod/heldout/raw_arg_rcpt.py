# Shape: a test server whose channel refuses recipients with a regex on the raw RCPT
# argument before calling the base method (no address parsing of its own).
import asyncore
import re
import smtpd

from _record import record

REFUSED = re.compile(r"<nobody@", re.I)


class RefusingChannel(smtpd.SMTPChannel):
    def smtp_RCPT(self, arg):
        if arg and REFUSED.search(arg):
            self.push("550 5.1.1 Mailbox unavailable")
            return
        smtpd.SMTPChannel.smtp_RCPT(self, arg)


class RefusingServer(smtpd.SMTPServer):
    channel_class = RefusingChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


refusing = RefusingServer(("127.0.0.1", 0), None)
print(refusing.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    refusing.close()
