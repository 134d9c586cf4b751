# Shape: a student "encrypting submission server": `from smtpd import SMTPServer,
# SMTPChannel, DEBUGSTREAM` (the name bound at import: smtpd's default sink), a
# FakeCredentialValidator(username, password, channel) reading "user password" lines from
# config.json; MySMTPChanel(SMTPChannel) (sic) with that class as a CLASS attribute
# credential_validator, an __init__(server, conn, addr, *args, **kwargs) calling super()
# first; smtp_AUTH PLAIN (instantiates the validator; 454 then close_when_done() on
# failure) and a multi-line LOGIN that calls validate(username, password) on the CLASS
# (a TypeError there); its own smtp_EHLO copied from smtpd with "250-AUTH LOGIN PLAIN",
# smtp_HELO printing its argument, run_command_with_arg() answering 530 before
# authentication, found_terminator copied from smtpd that routes lines to AUTH while
# authenticating; MySMTPServer with channel_class and process_message(**kwargs) that
# encrypts data.encode() (data is bytes: AttributeError on every message) and prints a
# MIMEText; built at module level, never kept, bare loop. (Fernet is a local stand-in;
# config.json is written at start-up if missing; the server is kept to print its port.)
import asyncore
import base64
import email.utils
import os
from email.mime.text import MIMEText
from smtpd import DEBUGSTREAM, SMTPChannel, SMTPServer

from _record import record

if not os.path.exists("config.json"):
    with open("config.json", "w") as f:
        f.write("user secret\n")


class Fernet:
    """Stands in for cryptography's Fernet."""

    @staticmethod
    def generate_key():
        return b"k"

    def __init__(self, key):
        self.key = key

    def encrypt(self, data):
        return base64.urlsafe_b64encode(data)


def decode_b64(data):
    """Wrapper for b64decode, without having to struggle with bytestrings."""
    byte_string = data.encode("utf-8")
    decoded = base64.b64decode(byte_string)
    return decoded.decode("utf-8")


def encode_b64(data):
    """Wrapper for b64encode, without having to struggle with bytestrings."""
    byte_string = data.encode("utf-8")
    encoded = base64.b64encode(byte_string)
    return encoded.decode("utf-8")


class FakeCredentialValidator(object):  # noqa: UP004
    def __init__(self, username, password, chanel):
        self.username = username
        self.password = password
        self.chanel = chanel

    def validate(self):
        with open("config.json", "r") as f:  # noqa: UP015
            for line in f:
                log1, password1 = line.split()
                if str(log1) == self.username and str(password1) == self.password:
                    return True
        return False


class MySMTPChanel(SMTPChannel):
    credential_validator = FakeCredentialValidator

    def __init__(self, server, conn, addr, *args, **kwargs):
        super().__init__(server, conn, addr, *args, **kwargs)
        self.username = None
        self.password = None
        self.authenticated = False
        self.authenticating = False

    def smtp_AUTH(self, arg):
        if "PLAIN" in arg:
            split_args = arg.split(" ")
            # second arg is Base64-encoded string of blah\0username\0password
            authbits = decode_b64(split_args[1]).split("\0")
            self.username = authbits[1]
            self.password = authbits[2]
            if self.credential_validator(self.username, self.password, self).validate():
                self.authenticated = True
                self.push("235 Authentication successful.")
            else:
                self.push("454 Temporary authentication failure.")
                print("user hasn't access")
                self.close_when_done()
        elif "LOGIN" in arg:
            self.authenticating = True
            split_args = arg.split(" ")
            if len(split_args) == 2:
                self.username = decode_b64(arg.split(" ")[1])
                self.push("334 " + encode_b64("Username"))
            else:
                self.push("334 " + encode_b64("Username"))
        elif not self.username:
            self.username = decode_b64(arg)
            self.push("334 " + encode_b64("Password"))
        else:
            self.authenticating = False
            self.password = decode_b64(arg)
            if self.credential_validator and self.credential_validator.validate(
                self.username, self.password
            ):
                self.authenticated = True
                self.push("235 Authentication successful.")
            else:
                self.push("454 Temporary authentication failure.")
                self.close_when_done()

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
        self.push("250-AUTH LOGIN PLAIN")
        if self.data_size_limit:
            self.push("250-SIZE %s" % self.data_size_limit)
            self.command_size_limits["MAIL"] += 26
        if not self._decode_data:
            self.push("250-8BITMIME")
        if self.enable_SMTPUTF8:
            self.push("250-SMTPUTF8")
            self.command_size_limits["MAIL"] += 10
        self.push("250 HELP")

    def smtp_HELO(self, arg):
        print(arg)
        if not arg:
            self.push("501 Syntax: HELO hostname")
            return
        if self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
            return
        self._set_rset_state()
        self.seen_greeting = arg
        self.push("250 %s" % self.fqdn)

    def run_command_with_arg(self, command, arg):
        method = getattr(self, "smtp_" + command, None)
        if not method:
            self.push('500 Error: command "%s" not recognized' % command)
            return
        # White list of operations that are allowed prior to AUTH.
        if command not in ["AUTH", "EHLO", "HELO", "NOOP", "RSET", "QUIT"]:
            if not self.authenticated:
                self.push("530 Authentication required")
                return
        method(arg)

    def found_terminator(self):
        line = self._emptystring.join(self.received_lines)
        print("Data:", repr(line), file=DEBUGSTREAM)
        self.received_lines = []
        if self.smtp_state == self.COMMAND:
            sz, self.num_bytes = self.num_bytes, 0
            if not line:
                self.push("500 Error: bad syntax")
                return
            if not self._decode_data:
                line = str(line, "utf-8")
            i = line.find(" ")
            if self.authenticating:
                arg = line.strip()
                command = "AUTH"
            elif i < 0:
                command = line.upper()
                arg = None
            else:
                command = line[:i].upper()
                arg = line[i + 1:].strip()
            max_sz = (self.command_size_limits[command]
                      if self.extended_smtp else self.command_size_limit)
            if sz > max_sz:
                self.push("500 Error: line too long")
                return
            self.run_command_with_arg(command, arg)
            return
        else:
            if self.smtp_state != self.DATA:
                self.push("451 Internal confusion")
                self.num_bytes = 0
                return
            if self.data_size_limit and self.num_bytes > self.data_size_limit:
                self.push("552 Error: Too much mail data")
                self.num_bytes = 0
                return
            data = []
            for text in line.split(self._linesep):
                if text and text[0] == self._dotsep:
                    data.append(text[1:])
                else:
                    data.append(text)
            self.received_data = self._newline.join(data)
            args = (self.peer, self.mailfrom, self.rcpttos, self.received_data)
            kwargs = {}
            if not self._decode_data:
                kwargs = {
                    "mail_options": self.mail_options,
                    "rcpt_options": self.rcpt_options,
                }
            status = self.smtp_server.process_message(*args, **kwargs)
            self._set_post_data_state()
            if not status:
                self.push("250 OK")
            else:
                self.push(status)


class MySMTPServer(SMTPServer):
    channel_class = MySMTPChanel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        key = Fernet.generate_key()  # Store this keys or get if you already have it
        f = Fernet(key)
        data = f.encrypt(data.encode()).decode("utf-8")
        msg = MIMEText(data)
        msg["To"] = email.utils.formataddr(("Recipient", ", ".join(str(x) for x in rcpttos)))
        msg["From"] = email.utils.formataddr(("Author", mailfrom))
        msg["SCM"] = "encrypt"
        msg["Subject"] = "Simple test message"
        print(msg.as_string())


server = MySMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)

asyncore.loop()
