# Shape: an SMTP relay's authenticating channel (a fork of a library's channel): a class
# named SMTPChannel(smtpd.SMTPChannel) taking smtpd's full signature plus
# credential_validator; found_terminator is smtpd's own copied with two changes: while
# authenticating every line goes to smtp_AUTH, and any command but AUTH, EHLO, HELO,
# NOOP, RSET and QUIT answers 530 until authenticated; smtp_EHLO advertises AUTH PLAIN
# LOGIN; smtp_AUTH handles PLAIN (inline or after a 334) and LOGIN, 235 or 535; the
# server's handle_accepted builds the channel with its validator and its own settings; a
# **kwargs process_message appending a JSON line per message to a spool file;
# asyncore.loop(timeout=1) in try/except KeyboardInterrupt.
import asyncore
import base64
import binascii
import json
import smtpd

from _record import record

DEBUGSTREAM = smtpd.DEBUGSTREAM


def decode_b64(data):
    return base64.b64decode(data.encode("utf-8"), validate=True).decode("utf-8")


class SMTPChannel(smtpd.SMTPChannel):

    def __init__(self, server, conn, addr, data_size_limit=smtpd.DATA_SIZE_DEFAULT,
                 map=None, enable_SMTPUTF8=False, decode_data=False,
                 credential_validator=None):
        super().__init__(server, conn, addr, data_size_limit, map, enable_SMTPUTF8,
                         decode_data)
        self.credential_validator = credential_validator
        self.authenticating = False
        self.authenticated = False
        self.auth_type = None
        self.username = None

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
                # If we are in an authenticating state, call the
                # method smtp_AUTH.
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

            # White list of operations that are allowed prior to AUTH.
            if command not in ["AUTH", "EHLO", "HELO", "NOOP", "RSET", "QUIT"]:
                if not self.authenticated:
                    self.push("530 Authentication required")
                    return

            method = getattr(self, "smtp_" + command, None)
            if not method:
                self.push('500 Error: command "%s" not recognized' % command)
                return
            method(arg)
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
            # Remove extraneous carriage returns and de-transparency according
            # to RFC 5321, Section 4.5.2.
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
        self.push("250-AUTH PLAIN LOGIN")
        self.push("250 HELP")

    def _check(self, username, password):
        self.authenticating = False
        self.auth_type = None
        if self.credential_validator.validate(username, password):
            self.authenticated = True
            self.push("235 Authentication successful.")
        else:
            self.push("535 Authentication credentials invalid")

    def smtp_AUTH(self, arg):
        if not arg:
            self.push("501 Syntax: AUTH mechanism")
            return
        try:
            if self.auth_type == "PLAIN":
                _, user, password = decode_b64(arg).split("\0")
                self._check(user, password)
            elif self.auth_type == "LOGIN" and self.username is None:
                self.username = decode_b64(arg)
                self.push("334 UGFzc3dvcmQ6")
            elif self.auth_type == "LOGIN":
                self._check(self.username, decode_b64(arg))
            elif arg.upper() == "PLAIN":
                self.auth_type = "PLAIN"
                self.authenticating = True
                self.push("334 ")
            elif arg.upper().startswith("PLAIN "):
                _, user, password = decode_b64(arg[6:].strip()).split("\0")
                self._check(user, password)
            elif arg.upper() == "LOGIN":
                self.auth_type = "LOGIN"
                self.authenticating = True
                self.username = None
                self.push("334 VXNlcm5hbWU6")
            else:
                self.push("504 Unrecognized authentication type")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            self.authenticating = False
            self.auth_type = None
            self.push("501 Syntax error in parameters or arguments")


class Validator:
    users = {"user": "secret"}

    def validate(self, username, password):
        return self.users.get(username) == password


class RelayServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, credential_validator, **kwargs):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr, **kwargs)
        self.credential_validator = credential_validator

    def handle_accepted(self, conn, addr):
        SMTPChannel(self, conn, addr, self.data_size_limit, self._map,
                    self.enable_SMTPUTF8, self._decode_data,
                    credential_validator=self.credential_validator)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        with open("spool.jsonl.txt", "a") as spool:
            spool.write(json.dumps({"from": mailfrom, "to": rcpttos,
                                    "size": len(data)}) + "\n")


if __name__ == "__main__":
    server = RelayServer(("127.0.0.1", 0), None, Validator())
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop(timeout=1)
    except KeyboardInterrupt:
        print("relay stopped")
