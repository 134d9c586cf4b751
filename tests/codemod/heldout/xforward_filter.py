# Shape: a Postfix content filter's channel: smtp_EHLO re-implemented to advertise
# XFORWARD, an smtp_XFORWARD verb storing the attributes, used by process_message.
import asyncore
import smtpd

from _record import record


class XforwardChannel(smtpd.SMTPChannel):
    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        if self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
            return
        self._set_rset_state()
        self.seen_greeting = arg
        self.extended_smtp = True
        self.push("250-%s" % self.fqdn)
        self.push("250-XFORWARD NAME ADDR PROTO HELO")
        self.push("250 HELP")

    def smtp_XFORWARD(self, arg):
        self.xforward = dict(item.split("=", 1) for item in arg.split())
        self.push("250 Ok")


class ContentFilter(smtpd.SMTPServer):
    channel_class = XforwardChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


content_filter = ContentFilter(("127.0.0.1", 0), None)
print(content_filter.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    content_filter.close()
