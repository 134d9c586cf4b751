# A channel subclass with sender and recipient policies in smtp_MAIL/smtp_RCPT overrides.
import asyncore
import smtpd

from _record import record

BLOCKED_DOMAIN = "@spam.example"


class PolicyChannel(smtpd.SMTPChannel):
    def smtp_MAIL(self, arg):
        address, _ = self._getaddr(self._strip_command_keyword("FROM:", arg))
        if address.lower().endswith(BLOCKED_DOMAIN):
            self.push("550 Sender refused by policy")
            return
        super().smtp_MAIL(arg)

    def smtp_RCPT(self, arg):
        address = self._getaddr(self._strip_command_keyword("TO:", arg))[0]
        if len(self.rcpttos) >= self.smtp_server.max_recipients:
            self.push("452 Too many recipients")
            return
        if not address.startswith("nobody@"):
            smtpd.SMTPChannel.smtp_RCPT(self, arg)
        else:
            self.push("550 No such user here")


class PolicyServer(smtpd.SMTPServer):
    channel_class = PolicyChannel
    max_recipients = 2

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = PolicyServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
