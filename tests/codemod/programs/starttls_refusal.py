# A submission test server that advertises STARTTLS but has no certificate yet: its EHLO
# is smtpd's own (SIZE raising the MAIL line limit by 26) with STARTTLS and PIPELINING
# added, and its STARTTLS verb answers 454 (501 with an argument) until a context is set.
import asyncore
import smtpd

from _record import record


class SubmissionChannel(smtpd.SMTPChannel):
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
        self.push("250-%s greets %s" % (self.fqdn, arg))
        if self.smtp_server.offer_tls:
            self.push("250-STARTTLS")
        self.push("250-PIPELINING")
        if self.data_size_limit:
            self.push("250-SIZE %s" % self.data_size_limit)
            self.command_size_limits["MAIL"] += 26
        self.push("250 HELP")

    def smtp_STARTTLS(self, arg):
        if arg:
            self.push("501 Syntax: STARTTLS")
        elif self.smtp_server.tls_context is None:
            self.push("454 4.7.0 TLS not available: no certificate configured")
        else:
            self.push("220 Ready to start TLS")


class SubmissionServer(smtpd.SMTPServer):
    channel_class = SubmissionChannel
    offer_tls = True
    tls_context = None

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("submitted by", mailfrom, flush=True)


server = SubmissionServer(("127.0.0.1", 0), None, data_size_limit=10240)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()
