# A mail gateway's channel whose commands share small helpers: one formats and sends
# every reply, one (no reply) parses XCLIENT's attributes, one decides on recipients
# from the raw argument before the base RCPT runs.
import asyncore
import smtpd

from _record import record


class GatewayChannel(smtpd.SMTPChannel):
    def answer(self, code, text):
        self.push("%s %s" % (code, text))

    def attributes(self, arg):
        found = {}
        for item in arg.split():
            name, _, value = item.partition("=")
            found[name.upper()] = value
        return found

    def is_refused(self, arg):
        return "nobody@" in arg.lower()

    def smtp_XCLIENT(self, arg):
        if not arg:
            self.answer(501, "Syntax: XCLIENT name=value ...")
            return
        seen = self.attributes(arg)
        self.answer(220, "gateway ok for %s" % seen.get("ADDR", "unknown"))

    def smtp_NOOP(self, arg):
        # The gateway says who it is instead of a bare OK.
        self.answer(250, "gateway %s" % self.fqdn if arg else "gateway alive")

    def smtp_RCPT(self, arg):
        if arg and self.is_refused(arg):
            self.answer(550, "no such mailbox here")
            return
        smtpd.SMTPChannel.smtp_RCPT(self, arg)


class Gateway(smtpd.SMTPServer):
    channel_class = GatewayChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


gateway = Gateway(("127.0.0.1", 0), None)
print(gateway.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    gateway.close()
