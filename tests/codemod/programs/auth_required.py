# An AUTH PLAIN channel that refuses MAIL before AUTH: converted into an authenticator=
# with auth_required=True.
import asyncore
import base64
import smtpd

from _record import record

PASSWORD = "secret"


class AuthChannel(smtpd.SMTPChannel):
    AUTH = 99  # the state in which the next line is the PLAIN response
    authenticated = False

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
        self.push("250-%s" % self.fqdn)
        if self.data_size_limit:
            self.push("250-SIZE %s" % self.data_size_limit)
            self.command_size_limits["MAIL"] += 26
        if not self._decode_data:
            self.push("250-8BITMIME")
        if self.enable_SMTPUTF8:
            self.push("250-SMTPUTF8")
            self.command_size_limits["MAIL"] += 10
        self.push("250-AUTH PLAIN")
        self.push("250 HELP")

    def smtp_AUTH(self, arg):
        mechanism, _, response = (arg or "").partition(" ")
        if mechanism.upper() != "PLAIN":
            self.push("504 Unrecognized authentication type")
        elif response:
            self.check_plain(response)
        else:
            self.smtp_state = self.AUTH
            self.push("334 ")

    def smtp_MAIL(self, arg):
        if not self.authenticated:
            self.push("530 Authentication required")
            return
        super().smtp_MAIL(arg)

    def found_terminator(self):
        if self.smtp_state == self.AUTH:
            line = self._emptystring.join(self.received_lines)
            self.received_lines = []
            self.smtp_state = self.COMMAND
            self.check_plain(line)
            return
        super().found_terminator()

    def check_plain(self, response):
        _, user, password = base64.b64decode(response).decode().split("\0")
        if user != "user" or password != PASSWORD:
            self.push("535 Authentication failed")
        else:
            self.authenticated = True
            self.push("235 Authentication successful")


class AuthServer(smtpd.SMTPServer):
    channel_class = AuthChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = AuthServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
