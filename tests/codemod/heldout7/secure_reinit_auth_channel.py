# Shape: an SMTP-AUTH server library in the "secure-smtpd" mould and its example script: a
# channel subclass named SMTPChannel whose __init__(smtp_server, newsocket, fromaddr,
# require_authentication=False, credential_validator=None, map=None) calls
# smtpd.SMTPChannel.__init__ and THEN asynchat.async_chat.__init__(self, newsocket,
# map=map) again, keeps authentication state flags, its own smtp_EHLO advertising
# "AUTH LOGIN PLAIN", an smtp_AUTH with PLAIN (inline or after "334 ") and LOGIN
# (Username:/Password: prompts), and a found_terminator that routes continuation lines to
# smtp_AUTH, answers 530 to MAIL/RCPT/DATA before authentication, and (copied from the
# Python 2 smtpd) calls process_message with FOUR arguments itself for the DATA; a server
# class also named SMTPServer(smtpd.SMTPServer) with require_authentication,
# credential_validator and debug keywords and a Py2-style handle_accept building that
# channel; a FakeCredentialValidator; the example's subclass with a 4-argument
# process_message (which works, since the channel passes four) and a bare asyncore.loop().
# (The library's process pool and SSL wrapping are left out; the log goes to stderr.)
import asynchat
import asyncore
import base64
import logging
import smtpd
import sys

from _record import record

LOG_NAME = "secure-smtpd"
logger = logging.getLogger(LOG_NAME)


class FakeCredentialValidator(object):  # noqa: UP004
    def validate(self, username, password):
        return username == "user" and password == "secret"


class SMTPChannel(smtpd.SMTPChannel):
    def __init__(self, smtp_server, newsocket, fromaddr,
                 require_authentication=False, credential_validator=None, map=None):
        smtpd.SMTPChannel.__init__(self, smtp_server, newsocket, fromaddr)
        asynchat.async_chat.__init__(self, newsocket, map=map)

        self.require_authentication = require_authentication
        self.credential_validator = credential_validator
        self.debug = smtp_server.debug
        self.authenticated = False
        self.login_uname_authenticating = False
        self.login_pass_authenticating = False
        self.plain_authenticating = False
        self.username = None
        self.password = None

    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        if self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
            return
        self.seen_greeting = arg
        self.extended_smtp = True
        self.push("250-%s Hello %s" % (self.fqdn, arg))
        self.push("250-AUTH LOGIN PLAIN")
        self.push("250 EHLO")

    def _check(self, username, password):
        self.authenticated = self.credential_validator.validate(username, password)
        if self.authenticated:
            self.push("235 Authentication successful.")
        else:
            self.push("535 Authentication credentials invalid")
        if self.debug:
            logger.info("smtp_AUTH(): %s authenticated=%s", username, self.authenticated)

    def smtp_AUTH(self, arg):
        if self.login_uname_authenticating:
            self.login_uname_authenticating = False
            self.username = base64.b64decode(arg).decode()
            self.push("334 " + base64.b64encode(b"Password:").decode())
            self.login_pass_authenticating = True
            return
        if self.login_pass_authenticating:
            self.login_pass_authenticating = False
            self.password = base64.b64decode(arg).decode()
            self._check(self.username, self.password)
            return
        if self.plain_authenticating:
            self.plain_authenticating = False
            param = arg
        elif not arg:
            self.push("501 Syntax: AUTH <mechanism>")
            return
        elif "PLAIN" in arg:
            try:
                _, param = arg.split()
            except ValueError:
                # the space after the 334 is important, as the RFC says
                self.push("334 ")
                self.plain_authenticating = True
                return
        elif "LOGIN" in arg:
            self.push("334 " + base64.b64encode(b"Username:").decode())
            self.login_uname_authenticating = True
            return
        else:
            self.push("504 Unrecognized authentication type")
            return
        _, self.username, self.password = base64.b64decode(param).decode().split("\x00")
        self._check(self.username, self.password)

    def found_terminator(self):
        line = self._emptystring.join(self.received_lines)
        if self.debug:
            logger.info("found_terminator(): data: %s", repr(line)[:60])
        if self.smtp_state == self.COMMAND:
            if (self.login_uname_authenticating or self.login_pass_authenticating
                    or self.plain_authenticating):
                self.received_lines = []
                self.num_bytes = 0
                self.smtp_AUTH(line.decode().strip())
                return
            command = line.decode().split(" ", 1)[0].upper()
            if (self.require_authentication and not self.authenticated
                    and command in ("MAIL", "RCPT", "DATA")):
                self.received_lines = []
                self.num_bytes = 0
                self.push("530 Authentication required")
                return
            smtpd.SMTPChannel.found_terminator(self)
            return
        # DATA, as the Python 2 smtpd did it: four arguments.
        self.received_lines = []
        data = []
        for text in line.split(b"\r\n"):
            if text and text[:1] == b".":
                data.append(text[1:])
            else:
                data.append(text)
        received = b"\n".join(data)
        status = self.smtp_server.process_message(self.peer, self.mailfrom, self.rcpttos,
                                                  received)
        self._set_post_data_state()
        if not status:
            self.push("250 Ok")
        else:
            self.push(status)


class SMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, require_authentication=False,
                 credential_validator=None, debug=False):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.require_authentication = require_authentication
        self.credential_validator = credential_validator
        self.debug = debug

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            newsocket, fromaddr = pair
            if self.debug:
                logger.info("handle_accept(): called.")
            SMTPChannel(self, newsocket, fromaddr,
                        require_authentication=self.require_authentication,
                        credential_validator=self.credential_validator,
                        map=self._map)


class SSLSMTPServer(SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, message_data):
        record(peer, mailfrom, rcpttos, message_data)
        print(message_data)


logging.basicConfig(stream=sys.stderr, format="%(name)s: %(message)s")
logger.setLevel(logging.INFO)
server = SSLSMTPServer(("127.0.0.1", 0), None, require_authentication=True,
                       credential_validator=FakeCredentialValidator(), debug=True)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
