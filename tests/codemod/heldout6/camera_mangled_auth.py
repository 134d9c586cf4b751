# Shape: a home-camera service's Django command "smtpd" (names imported as
# `from smtpd import SMTPChannel as BaseSMTPChannel`, SMTPServer as BaseSMTPServer,
# NEWLINE; EMPTYSTRING defined locally): smtpd.DEBUGSTREAM set at import to an object
# whose write() goes to LOGGER.debug; a subclass named SMTPChannel whose __init__ pops an
# authenticator= keyword before the base, a found_terminator re-implemented with smtpd's
# name-mangled privates (self.__line, __state, __server, __peer, __mailfrom, __rcpttos, __data, all
# smtpd's deprecated aliases), a 530 for verbs other than AUTH/EHLO/HELO/NOOP/RSET/QUIT
# before authentication, 502 for unknown verbs, and process_message called with the
# username FIRST; smtp_EHLO that never sets the greeting; smtp_AUTH LOGIN over several
# lines (454 for bad credentials); SMTPServer(BaseSMTPServer) whose __init__ takes an
# address OR an already listening socket (then only asyncore.dispatcher.__init__ and
# set_socket, never the base __init__), a Py2-style handle_accept building the channel,
# process_message parsing with Parser().parsestr and storing the first image part,
# start() running asyncore.loop() in try/except KeyboardInterrupt: return. (Ported to
# Python 3 as its users had to: decode_data=True for the channel, bytes terminators,
# print(file=); a free port is picked first and passed as --addr/--port, since the
# --fd path never sets `accepting` and so never accepts.)
import asyncore
import base64
import logging
import smtpd
import socket
import sys
from email.parser import Parser
from smtpd import NEWLINE
from smtpd import SMTPChannel as BaseSMTPChannel
from smtpd import SMTPServer as BaseSMTPServer

from _record import record

EMPTYSTRING = ""  # gone from smtpd in Python 3
LOGGER = logging.getLogger(__name__)
LOGGER.addHandler(logging.StreamHandler())


class SMTPLogger(object):  # noqa: UP004
    """Simple class that logs via logging module."""

    def write(self, message):
        LOGGER.debug(message)


# Cause smtpd module to log via logging module
smtpd.DEBUGSTREAM = SMTPLogger()


class SMTPAuth(object):  # noqa: UP004
    """Simple class that performs authentication of a camera."""

    cameras = {b"cam1": b"secret"}

    def validate(self, username, password):
        if self.cameras.get(username) == password:
            return True


class SMTPChannel(BaseSMTPChannel):
    """smtpd.SMTPChannel subclass that supports AUTH."""

    def __init__(self, *args, **kwargs):
        self.username = None
        self.password = None
        self.authenticator = kwargs.pop("authenticator", None)
        self.authenticated = False
        self.authenticating = False
        BaseSMTPChannel.__init__(self, *args, **kwargs)

    def found_terminator(self):
        line = EMPTYSTRING.join(self.__line)
        print("Data:", repr(line), file=smtpd.DEBUGSTREAM)
        self.__line = []
        if self.__state == self.COMMAND:
            if not line:
                self.push("500 Error: bad syntax")
                return
            method = None
            i = line.find(" ")
            # If we are in authentication mode, and the line is NOT a valid
            # SMTP verb, then assume it is the password.
            if self.authenticating and not callable(getattr(self, "smtp_" + line.upper(), None)):
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
                if self.authenticator and not self.authenticated:
                    self.push("530 Authentication required")
                    return
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
            # Remove extraneous carriage returns and de-transparency according
            # to RFC 821, Section 4.5.2.
            data = []
            for text in line.split("\r\n"):
                if text and text[0] == ".":
                    data.append(text[1:])
                else:
                    data.append(text)
            self.__data = NEWLINE.join(data)
            status = self.__server.process_message(
                self.username, self.__peer, self.__mailfrom, self.__rcpttos, self.__data
            )
            self.__rcpttos = []
            self.__mailfrom = None
            self.__state = self.COMMAND
            self.set_terminator(b"\r\n")
            if not status:
                self.push("250 Ok")
            else:
                self.push(status)

    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: HELO hostname")
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
            split_args = arg.split(" ")
            # Some implementations of 'LOGIN' provide the username along with it.
            if len(split_args) == 2:
                self.username = base64.b64decode(arg.split(" ")[1])
                self.push("334 " + base64.b64encode(b"Username").decode())
            else:
                self.push("334 " + base64.b64encode(b"Username").decode())
        elif not self.username:
            self.username = base64.b64decode(arg)
            self.push("334 " + base64.b64encode(b"Password").decode())
        else:
            self.authenticating = False
            self.password = base64.b64decode(arg)
            if self.authenticator and self.authenticator.validate(self.username, self.password):
                self.authenticated = True
                self.push("235 Authentication successful.")
            else:
                self.push("454 Temporary authentication failure.")


class SMTPServer(BaseSMTPServer):
    """smtpd.SMTPServer subclass that supports AUTH and processes images
    from message bodies."""

    def __init__(self, address_or_socket, authenticator=SMTPAuth()):  # noqa: B008
        if callable(getattr(address_or_socket, "listen", None)):
            asyncore.dispatcher.__init__(self)
            address_or_socket.setblocking(0)
            self.set_socket(address_or_socket)
        else:
            BaseSMTPServer.__init__(self, address_or_socket, None)
        self.authenticator = authenticator
        self.parser = Parser()

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            print("Incoming connection from %s" % repr(addr), file=smtpd.DEBUGSTREAM)
            SMTPChannel(self, conn, addr, decode_data=True, authenticator=self.authenticator)

    def process_message(self, username, peer, mailfrom, rcpttos, data):
        """Parses the message body, then saves the first encountered image."""
        record(peer, mailfrom, rcpttos, data)
        m = self.parser.parsestr(data)
        for p in m.walk():
            if p.get_content_maintype() == "multipart":
                continue
            mime = p.get_content_type()
            if not mime.startswith("image/"):
                continue
            with open("motion-%s.img" % username.decode(), "wb") as f:
                f.write(p.get_payload(decode=True))
            break

    def start(self):
        try:
            asyncore.loop()
        except KeyboardInterrupt:
            return

    def stop(self):
        self.close()


class CommandError(Exception):
    pass


class Command:
    help = "Runs SMTP daemon that accepts still images from cameras when motion is detected."

    def handle(self, *args, **kwargs):
        if kwargs.get("fd"):
            sock = socket.fromfd(kwargs["fd"], socket.AF_INET, socket.SOCK_STREAM)
        elif kwargs.get("addr") and kwargs.get("port"):
            sock = (kwargs["addr"], kwargs["port"])
        else:
            raise CommandError("Must specify addr/port or fd for listening")
        server = SMTPServer(sock)
        print(server.socket.getsockname()[1], flush=True)
        server.start()


if __name__ == "__main__":
    # The service manager's part: a free port picked beforehand, passed as --addr/--port.
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    Command().handle(addr="127.0.0.1", port=port)
    sys.exit(0)
