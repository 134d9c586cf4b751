# An AUTH PLAIN channel in the style of CPython's test_smtplib: a custom verb and a
# custom state in found_terminator. Reported, not converted.
import asyncore
import base64
import smtpd

USERS = {"user": "secret"}


class AuthChannel(smtpd.SMTPChannel):
    AUTH = 99  # the state in which the next line is the PLAIN response

    def smtp_AUTH(self, arg):
        mechanism, _, response = (arg or "").partition(" ")
        if mechanism.upper() != "PLAIN":
            self.push("504 Unrecognized authentication type")
        elif response:
            self.check_plain(response)
        else:
            self.smtp_state = self.AUTH
            self.push("334 ")

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
        if USERS.get(user) == password:
            self.push("235 Authentication successful")
        else:
            self.push("535 Authentication failed")


class AuthServer(smtpd.SMTPServer):
    channel_class = AuthChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        pass


server = AuthServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
