# A test double refusing recipients by looking at the raw RCPT argument (a local part,
# or a missing pair of angle brackets) before smtpd parses it.
import asyncore
import smtpd

from _record import record

REFUSED_LOCAL_PARTS = ("nobody", "dave")


class StrictRcptChannel(smtpd.SMTPChannel):
    def smtp_RCPT(self, arg):
        raw = (arg or "").lower()
        if "<" not in raw:
            self.push("501 5.5.4 Angle brackets required")
        elif any(":<%s@" % part in raw for part in REFUSED_LOCAL_PARTS):
            self.push("550 5.1.1 No such user here")
        else:
            smtpd.SMTPChannel.smtp_RCPT(self, arg)


class StrictServer(smtpd.SMTPServer):
    channel_class = StrictRcptChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


strict = StrictServer(("127.0.0.1", 0), None)
print(strict.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    strict.close()
