# Shape: a disposable-inbox web service's SMTP front end (a Django project; Python 2 code
# whose channel says it was "stolen from secure-smtpd"): `from smtpd import DEBUGSTREAM,
# EMPTYSTRING, NEWLINE`, `from asyncore import ExitNow`, a module __version__ string (which
# changes nothing), a credentials-validator class keeping the inbox it validated;
# BHWSGSMTPServer(smtpd.SMTPServer) whose __init__(localaddr, remoteaddr,
# credential_validator=<class>) calls the base by name and then INSTANTIATES the default
# class whatever was passed, a handle_accept printing to DEBUGSTREAM and building
# SMTPChannel(self, conn, addr, self.credential_validator), and a 4-argument
# process_message that would queue the message with a Celery task when the validator
# says so; the channel is named SMTPChannel(smtpd.SMTPChannel) so that its self.__greeting,
# self.__line, self.__state, self.__server ... mangle to smtpd's own _SMTPChannel__ names,
# with its own smtp_EHLO, smtp_AUTH (LOGIN; 454 and raise ExitNow on a bad password) and a
# found_terminator that joins self.__line with EMPTYSTRING (str): under Python 3 the lines
# are bytes, so the first command of every session raises TypeError and asyncore drops the
# connection. Started from a management command's handle() with a bare asyncore.loop().
# (EMPTYSTRING, which Python 3's smtpd no longer has, is defined locally, so that the
# module imports: the Python 3 forks of secure-smtpd did the same.)
import asyncore
import base64
import datetime
import logging
import smtpd
from asyncore import ExitNow
from smtpd import DEBUGSTREAM, NEWLINE
from uuid import uuid1

from _record import record

__version__ = "BHWSGSMTP proxy version 0.1"
EMPTYSTRING = ""  # smtpd no longer exports it


class BHWSGSMTPCredintailsValidator(object):  # noqa: UP004
    """
        Check inbox by given credintails
    """
    def __init__(self):
        self.inbox = None
        self.password = None
        self.valid = False

    def _validate(self, username, password):
        return (username, password) == ("user", "secret")

    def validate(self, username, password):
        self.valid = self._validate(username, password)
        if self.valid:
            self.inbox = username
            self.password = password
        return self.valid


class handle_mail(object):  # noqa: UP004
    @staticmethod
    def delay(mail_dict):
        print("queued mail for inbox", mail_dict["inbox"])


class BHWSGSMTPServer(smtpd.SMTPServer):
    """ SMTP Server instance. Move incoming mails to Celery """

    def __init__(self, localaddr, remoteaddr, credential_validator=BHWSGSMTPCredintailsValidator):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.credential_validator = BHWSGSMTPCredintailsValidator()

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        if self.credential_validator.valid:
            mail_dict = {
                "peer": peer,
                "raw": data,
                "uuid": str(uuid1()),
                "date": datetime.datetime.now(),
                "inbox": self.credential_validator.inbox,
            }
            handle_mail.delay(mail_dict)

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            print("Incoming connection from %s" % repr(addr), file=DEBUGSTREAM)
            SMTPChannel(self, conn, addr, self.credential_validator)


class SMTPChannel(smtpd.SMTPChannel):
    def __init__(self, server, conn, addr, credential_validator):
        smtpd.SMTPChannel.__init__(self, server, conn, addr)

        self.authenticating = False
        self.authenticated = False
        self.username = None
        self.password = None
        self.credential_validator = credential_validator

        self.debug = True
        self.logger = logging.getLogger("smtp")

    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        if self.__greeting:
            self.push("503 Duplicate HELO/EHLO")
        else:
            self.push("250-%s Hello %s" % (self.__fqdn, arg))
            self.push("250-AUTH LOGIN")
            self.push("250 EHLO")

    def smtp_AUTH(self, arg):
        if "LOGIN" in arg:
            self.authenticating = True
            self.push("334 " + base64.b64encode(b"Username").decode())
        elif not self.username:
            self.username = base64.b64decode(arg).decode()
            self.push("334 " + base64.b64encode(b"Password").decode())
        else:
            self.authenticating = False
            self.password = base64.b64decode(arg).decode()
            if self.credential_validator and self.credential_validator.validate(
                    self.username, self.password):
                self.authenticated = True
                self.push("235 Authentication successful.")
            else:
                self.push("454 Temporary authentication failure.")
                raise ExitNow()

    def found_terminator(self):
        line = EMPTYSTRING.join(self.__line)

        if self.debug:
            self.logger.info("found_terminator(): data: %s" % repr(line))

        self.__line = []
        if self.__state == self.COMMAND:
            if not line:
                self.push("500 Error: bad syntax")
                return
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

            # White list of operations that are allowed prior to AUTH.
            if command not in ["AUTH", "EHLO", "HELO", "NOOP", "RSET", "QUIT"]:
                if not self.authenticated:
                    self.push("530 Authentication required")

            method = getattr(self, "smtp_" + command, None)
            if not method:
                self.push('502 Error: command "%s" not implemented' % command)
                return
            method(arg)
            return
        else:
            if self.__state != self.DATA:
                self.push("451 Internal confusion")
                return
            data = []
            for text in line.split("\r\n"):
                if text and text[0] == ".":
                    data.append(text[1:])
                else:
                    data.append(text)
            self.__data = NEWLINE.join(data)
            status = self.__server.process_message(
                self.__peer,
                self.__mailfrom,
                self.__rcpttos,
                self.__data
            )
            self.__rcpttos = []
            self.__mailfrom = None
            self.__state = self.COMMAND
            self.set_terminator(b"\r\n")
            if not status:
                self.push("250 Ok")
            else:
                self.push(status)


class Command(object):  # noqa: UP004
    help = "Run the inbox SMTP server"

    def handle(self, *args, **options):
        server = BHWSGSMTPServer(("127.0.0.1", 0), None)
        print(server.socket.getsockname()[1], flush=True)
        asyncore.loop()


if __name__ == "__main__":
    Command().handle()
