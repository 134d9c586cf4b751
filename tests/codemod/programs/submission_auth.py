# A submission front end: its own EHLO capability lines, AUTH PLAIN with the credentials
# inline checked against a table, the login kept on the channel (set in its __init__) and
# printed at each MAIL before the base; process_message prints the server's login list.
import asyncore
import base64
import binascii
import smtpd

from _record import record

USERS = {"user": "secret", "admin": "hunter2"}


class SubmissionChannel(smtpd.SMTPChannel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.login = None

    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        self.seen_greeting = arg
        self.extended_smtp = True
        self.push("250-submit.example at your service")
        self.push("250-SIZE %d" % self.data_size_limit)
        self.push("250 AUTH PLAIN")

    def smtp_AUTH(self, arg):
        mechanism, _, response = (arg or "").partition(" ")
        if mechanism.upper() != "PLAIN" or not response:
            self.push("504 5.5.4 Only AUTH PLAIN with an initial response")
            return
        try:
            fields = base64.b64decode(response, validate=True).split(b"\0")
        except binascii.Error:
            self.push("501 5.5.2 Cannot decode the response")
            return
        names = [field.decode("latin-1") for field in fields]
        if len(names) == 3 and USERS.get(names[1]) == names[2]:
            self.login = names[1]
            self.smtp_server.logins.append(names[1])
            self.push("235 2.7.0 Authentication successful")
        else:
            self.push("535 5.7.8 Authentication credentials invalid")

    def smtp_MAIL(self, arg):
        print("MAIL as", self.login or "anonymous", flush=True)
        smtpd.SMTPChannel.smtp_MAIL(self, arg)


class SubmissionServer(smtpd.SMTPServer):
    channel_class = SubmissionChannel
    logins = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("message from", mailfrom, "after logins", self.logins, flush=True)


server = SubmissionServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()
