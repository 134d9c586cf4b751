# A sink that changes its greeting through smtpd.__version__, as some fixtures do.
import asyncore
import smtpd

from _record import record

smtpd.__version__ = "ESMTP ready"


class GreetingSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = GreetingSink(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()
