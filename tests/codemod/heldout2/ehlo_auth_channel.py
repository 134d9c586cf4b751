# Shape: a gateway's SMTP front end: a channel that re-implements smtp_EHLO with its own
# capability lines (product name and version, AUTH PLAIN) and adds smtp_AUTH for PLAIN
# with an inline base64 argument, the authenticated user handed to the server;
# **kwargs process_message printing who sent what.
import asyncore
import base64
import smtpd

from _record import record

SOFTWARE_VERSION = "0.6.3"
CREDENTIALS = ("user", "secret")


class GatewayChannel(smtpd.SMTPChannel):
    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        self.seen_greeting = arg
        self.extended_smtp = True
        self.push("250-MailGateway %s" % SOFTWARE_VERSION)
        self.push("250 AUTH PLAIN")

    def smtp_AUTH(self, arg):
        if not arg or arg[0:5] not in ["PLAIN"]:
            self.push("501 Syntax: AUTH PLAIN")
            return
        try:
            decoded = base64.b64decode(arg[6:]).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            self.push("501 Authentication failed: bad encoding")
            return
        _, user, password = decoded.split("\x00", 2)
        if (user, password) == CREDENTIALS:
            self.smtp_server.authenticated_user = user
            self.push("235 2.7.0 Authentication successful")
        else:
            self.push("535 5.7.8 Authentication credentials invalid")


class GatewayServer(smtpd.SMTPServer):
    channel_class = GatewayChannel
    authenticated_user = None

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("message from %s as %s to %s" % (mailfrom, self.authenticated_user, rcpttos))
        self.authenticated_user = None


server = GatewayServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()
