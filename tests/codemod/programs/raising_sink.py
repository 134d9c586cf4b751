# An inbound-mail service whose process_message fails for one recipient (a database
# error in real life): smtpd dropped the connection, converted code answers 451.
import asyncore
import smtpd

from _record import record


class InboundService(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        if "boom@example.com" in rcpttos:
            raise RuntimeError("the store is down")
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = InboundService(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()
