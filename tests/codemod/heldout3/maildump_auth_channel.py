# Shape: a developer mail catcher with optional SMTP auth: a channel subclass whose
# __init__ re-declares the full stdlib signature and reads server.smtp_auth, an
# smtp_EHLO re-implemented to add "AUTH PLAIN" when auth is on, smtp_AUTH for PLAIN
# checked against an htpasswd-like table, smtp_MAIL refusing 530 before auth and then
# calling the base; the server sets channel_class and stores BytesParser messages.
import asyncore
import base64
import binascii
import smtpd
from email.parser import BytesParser

from _record import record

USERS = {"user": "secret"}


class SMTPChannel(smtpd.SMTPChannel):
    def __init__(
        self,
        server,
        conn,
        addr,
        data_size_limit=smtpd.DATA_SIZE_DEFAULT,
        map=None,
        enable_SMTPUTF8=False,
        decode_data=False,
    ):
        super().__init__(server, conn, addr, data_size_limit, map, enable_SMTPUTF8, decode_data)
        self._smtp_auth = server.smtp_auth
        self._authorized = False
        self._username = None

    def is_valid_user(self, auth_data):
        parts = auth_data.split(b"\x00")
        if len(parts) != 3:
            return False
        if not auth_data.startswith(b"\x00") and parts[0] != parts[1]:
            return False
        user, password = parts[1].decode(), parts[2].decode()
        if USERS.get(user) == password:
            self._username = user
            return True
        return False

    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        if self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
            return
        self.seen_greeting = arg
        self.extended_smtp = True
        self.push("250-%s" % self.fqdn)
        if self._smtp_auth:
            self.push("250-AUTH PLAIN")
        self.push("250 HELP")

    def smtp_AUTH(self, arg):
        if not self._smtp_auth:
            self.push('500 Error: command "AUTH" not recognized')
            return
        if not arg or not arg.upper().startswith("PLAIN "):
            self.push("501 Syntax: AUTH PLAIN <credentials>")
            return
        try:
            auth_data = base64.b64decode(arg.split(" ", 1)[1].strip())
        except (TypeError, binascii.Error):
            self.push("501 Syntax error: bad base64")
            return
        if not self.is_valid_user(auth_data):
            self.push("535 Authentication credentials invalid")
            return
        self._authorized = True
        self.push("235 Authentication successful")

    def smtp_MAIL(self, arg):
        if self._smtp_auth and not self._authorized:
            self.push("530 Authentication required")
            return
        super().smtp_MAIL(arg)


class SMTPServer(smtpd.SMTPServer):
    channel_class = SMTPChannel

    def __init__(self, listener, smtp_auth):
        super().__init__(listener, None)
        self.smtp_auth = smtp_auth
        self.messages = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        message = BytesParser().parsebytes(data)
        self.messages.append((mailfrom, rcpttos, message["Subject"]))
        print("Received message from %s to %s: %s" % (mailfrom, rcpttos, message["Subject"]))


if __name__ == "__main__":
    server = SMTPServer(("127.0.0.1", 0), smtp_auth=True)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print(len(server.messages), "messages")
