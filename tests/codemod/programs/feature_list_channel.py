# A test double for an SMTP client library: the channel takes the server's advertised
# extras first and smtpd's arguments after them (*args, **kwargs passed on), joins them
# into its own EHLO and answers VRFY from a directory; the server builds it through
# channel_class in handle_accepted with its decode_data, keeps it (never read again) and
# gains extras after start-up, before any client connects.
import asyncore
import smtpd

from _record import record

DIRECTORY = {"alice@example.com": "Alice Liddell"}


class FeatureChannel(smtpd.SMTPChannel):
    def __init__(self, features, banner_name, *args, **kwargs):
        self.feature_lines = "".join("250-%s\r\n" % f for f in features)
        self.banner_name = banner_name.upper()
        super().__init__(*args, **kwargs)

    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        reply = "250-%s greets %s\r\n%s250 HELP" % (self.banner_name, arg, self.feature_lines)
        self.push(reply)
        self.seen_greeting = arg
        self.extended_smtp = True

    def smtp_VRFY(self, arg):
        if arg in DIRECTORY:
            self.push("250 %s <%s>" % (DIRECTORY[arg], arg))
        else:
            self.push("550 unknown: %s" % arg)


class FeatureServer(smtpd.SMTPServer):
    channel_class = FeatureChannel

    def __init__(self, *args, **kwargs):
        self.features = []
        smtpd.SMTPServer.__init__(self, *args, **kwargs)

    def handle_accepted(self, conn, addr):
        self.latest = self.channel_class(
            self.features, "mock", self, conn, addr, decode_data=self._decode_data
        )

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = FeatureServer(("127.0.0.1", 0), None, decode_data=True)
server.features.append("AUTH PLAIN")
server.features.append("DSN")
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()
