# A honeypot's channel posing as Postfix: its push replaces smtpd's greeting with a
# Postfix banner (on the first reply only) and words the 250 replies as Postfix does.
import asyncore
import smtpd

from _record import record


class PostfixLookalike(smtpd.SMTPChannel):
    def __init__(self, server, conn, addr, *args, **kwargs):
        self.sent = 0  # before the base __init__: it pushes the greeting
        smtpd.SMTPChannel.__init__(self, server, conn, addr, *args, **kwargs)

    def push(self, msg):
        if not self.sent and msg.startswith("220 "):
            msg = "220 mx.example.com ESMTP Postfix (Debian/GNU)"
        elif msg == "250 OK":
            msg = "250 2.0.0 Ok"
        self.sent += 1
        smtpd.SMTPChannel.push(self, msg)


class Honeypot(smtpd.SMTPServer):
    channel_class = PostfixLookalike

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


honeypot = Honeypot(("127.0.0.1", 0), None)
print(honeypot.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    honeypot.close()
