# A local delivery agent speaking LMTP's greeting: LHLO answered as EHLO, HELO refused,
# the channel built by a handle_accept that checks accept()'s result, a banner of its
# own, one reply line per recipient (joined by CRLF) from process_message.
import asyncore
import smtpd

from _record import record

smtpd.__version__ = "mailbox-agent/2.1"
MAILBOXES = ("bob@example.com", "dave@example.com")


class LocalChannel(smtpd.SMTPChannel):
    """LMTP's greeting on top of smtpd's SMTP dialogue."""

    def __init__(self, server, conn, addr):
        super().__init__(server, conn, addr)
        self.agent = server

    def smtp_LHLO(self, arg):
        super().smtp_EHLO(arg)

    def smtp_HELO(self, arg):
        self.push("502 5.5.1 Use LHLO or EHLO")


class DeliveryAgent(smtpd.SMTPServer):
    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            LocalChannel(self, conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        replies = []
        for rcpt in rcpttos:
            if rcpt in MAILBOXES:
                replies.append("250 2.1.5 delivered to " + rcpt)
            else:
                replies.append("450 4.2.1 mailbox busy: " + rcpt)
        return "\r\n".join(replies)


agent = DeliveryAgent(("127.0.0.1", 0), None)
print(agent.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    agent.close()
