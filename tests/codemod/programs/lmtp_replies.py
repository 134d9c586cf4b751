# An LMTP-style delivery agent answering per recipient in one reply (joined by CRLF),
# as list servers do through the return value.
import asyncore
import smtpd

from _record import record

MAILBOXES = {"bob@example.com", "carol@example.com"}


class DeliveryAgent(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if all(r in MAILBOXES for r in rcpttos):
            return None
        lines = []
        for index, rcpt in enumerate(rcpttos):
            last = index == len(rcpttos) - 1
            code = "250" if rcpt in MAILBOXES else "550"
            lines.append(code + (" " if last else "-") + rcpt)
        return "\r\n".join(lines)


agent = DeliveryAgent(("127.0.0.1", 0), None)
print(agent.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    agent.close()
