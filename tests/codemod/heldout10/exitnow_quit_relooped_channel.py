# Shape: an authenticating SMTP server library's first channel: a class named
# SMTPChannel(smtpd.SMTPChannel) with EXTENSIONS = ['AUTH LOGIN'], __init__(smtp_server,
# newsocket, fromaddr, require_authentication=False) calling the base by name; smtp_EHLO
# pushing the fqdn, each extension and HELP as one multi-line reply; smtp_AUTH LOGIN
# pushing the two 334 prompts, the answers read through found_terminator while
# authenticating (235, or 535 from the server's credential validator; 501 for bad
# base64); smtp_MAIL answering 530 until authenticated when required;
# collect_incoming_data appending to the mangled __line (smtpd's deprecated alias of
# received_lines); smtp_QUIT pushing 221, close_when_done() and raising asyncore.ExitNow,
# which ends asyncore.loop(): the server (Py2-style handle_accept building the channel)
# runs the loop again after each ExitNow, counting sessions, until Ctrl+C.
import asyncore
import base64
import binascii
import smtpd
from asyncore import ExitNow

from _record import record


class SMTPChannel(smtpd.SMTPChannel):

    EXTENSIONS = [
        "AUTH LOGIN"
    ]

    def __init__(self, smtp_server, newsocket, fromaddr, require_authentication=False):
        smtpd.SMTPChannel.__init__(self, smtp_server, newsocket, fromaddr)
        self.require_authentication = require_authentication
        self.authenticating = False
        self.authenticated = False
        self.username = None
        self.password = None

    def smtp_QUIT(self, arg):
        self.push("221 Bye")
        self.close_when_done()
        raise ExitNow()

    def collect_incoming_data(self, data):
        self.__line.append(data)

    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        if self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
            return
        self.seen_greeting = arg
        self.extended_smtp = True
        lines = ["250-%s" % self.fqdn]
        lines += ["250-%s" % extension for extension in self.EXTENSIONS]
        lines.append("250 HELP")
        self.push("\r\n".join(lines))

    def found_terminator(self):
        if not self.authenticating:
            return smtpd.SMTPChannel.found_terminator(self)
        line = self._emptystring.join(self.received_lines)
        self.received_lines = []
        if not isinstance(line, str):
            line = line.decode("ascii", "replace")
        self.smtp_AUTH(line.strip())

    def smtp_AUTH(self, arg):
        if not self.authenticating:
            if not arg:
                self.push("501 Syntax: AUTH mechanism")
            elif arg.upper() != "LOGIN":
                self.push("504 Unrecognized authentication type")
            else:
                self.authenticating = True
                self.username = None
                self.push("334 VXNlcm5hbWU6")
            return
        try:
            value = base64.b64decode(arg, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            self.authenticating = False
            self.push("501 Cannot decode response")
            return
        if self.username is None:
            self.username = value
            self.push("334 UGFzc3dvcmQ6")
            return
        self.authenticating = False
        self.password = value
        if self.smtp_server.credential_validator.validate(self.username, self.password):
            self.authenticated = True
            self.push("235 Authentication successful.")
        else:
            self.push("535 Authentication credentials invalid")

    def smtp_MAIL(self, arg):
        if self.require_authentication and not self.authenticated:
            self.push("530 Authentication required")
            return
        smtpd.SMTPChannel.smtp_MAIL(self, arg)


class FakeCredentialValidator:
    def validate(self, username, password):
        return (username, password) == ("user", "secret")


class AuthServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, credential_validator):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.credential_validator = credential_validator
        self.sessions = 0

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            SMTPChannel(self, conn, addr, require_authentication=True)

    def process_message(self, peer, mailfrom, rcpttos, message_data, **kwargs):
        record(peer, mailfrom, rcpttos, message_data, **kwargs)
        print("message from %s for %s (%d bytes)" % (mailfrom, rcpttos, len(message_data)))

    def run(self):
        while True:
            try:
                asyncore.loop(timeout=1)
            except ExitNow:
                self.sessions += 1


if __name__ == "__main__":
    server = AuthServer(("127.0.0.1", 0), None, FakeCredentialValidator())
    print(server.socket.getsockname()[1], flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        print("sessions ended by QUIT:", server.sessions)
