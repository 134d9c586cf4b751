# Shape: a list server's LMTP runner: a channel adding LHLO (calling the base HELO) and
# refusing HELO with 502, a server whose Py2-style handle_accept builds that channel,
# smtpd.__version__ replaced, per-recipient replies joined by CRLF from process_message.
import asyncore
import smtpd

from _record import record

CRLF = "\r\n"
ERR_502 = "502 Error: command HELO not implemented"
ERR_550 = "550 Requested action not taken: mailbox unavailable"
LISTS = {"bob@example.com", "carol@example.com"}

smtpd.__version__ = "Python LMTP runner 1.0"


class LMTPChannel(smtpd.SMTPChannel):
    def __init__(self, server, conn, addr):
        smtpd.SMTPChannel.__init__(self, server, conn, addr)
        self._server = server

    def smtp_LHLO(self, arg):
        smtpd.SMTPChannel.smtp_HELO(self, arg)

    def smtp_HELO(self, arg):
        self.push(ERR_502)


class LMTPRunner(smtpd.SMTPServer):
    def __init__(self, localaddr=("127.0.0.1", 0)):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr=None)

    def handle_accept(self):
        conn, addr = self.accept()
        LMTPChannel(self, conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        status = ["250 Ok" if rcpt in LISTS else ERR_550 for rcpt in rcpttos]
        return CRLF.join(status)


runner = LMTPRunner()
print(runner.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    runner.close()
