# A mail client's SMTP sink with a channel named SMTPChannel (so self.__mailfrom and
# self.__greeting are smtpd's deprecated aliases of mailfrom and seen_greeting), a
# per-connection log kept as self.session, and a RCPT override that takes one recipient
# per message and records the spam-trap ones in that log.
import asyncore
import smtpd

from _record import record


class SMTPChannel(smtpd.SMTPChannel):
    TRAP_MARK = "trap@"  # a class constant the commands read as self.TRAP_MARK

    def __init__(self, *args, **kwargs):
        smtpd.SMTPChannel.__init__(self, *args, **kwargs)
        self.session = []

    def smtp_RCPT(self, arg):
        if not self.__mailfrom:
            self.push("503 Error: need MAIL command")
            return
        if self.rcpttos:
            self.push("452 4.5.3 One recipient per message, please")
            return
        if arg and self.TRAP_MARK in arg.lower():
            self.session.append(arg)
            self.push("550 5.1.1 No such user (%d trapped)" % len(self.session))
            return
        smtpd.SMTPChannel.smtp_RCPT(self, arg)

    def smtp_XSTAT(self, arg):
        trapped = len(self.session)
        self.push("250 %s: %d trapped" % (self.__greeting or "anonymous", trapped))


class ClientSink(smtpd.SMTPServer):
    channel_class = SMTPChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


sink = ClientSink(("127.0.0.1", 0), None)
print(sink.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    sink.close()
