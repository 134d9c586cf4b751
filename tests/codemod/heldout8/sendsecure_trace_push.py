# Shape: a secure-mail service's SMTP front end built by editing copies of smtpd's code
# ("#edited"/"#added" markers): smtpd.__version__ replaced by a welcome text (the
# greeting), a channel subclass named SMTPChannel(smtpd.SMTPChannel) whose push(msg)
# re-implements the base (asynchat.async_chat.push with the bytes encoded by
# require_SMTPUTF8) and traces every reply line as 'TX: ...'; found_terminator copied from
# 3.x (private _emptystring, num_bytes, command_size_limits, _linesep, _dotsep, _newline,
# _set_post_data_state) tracing each command as 'RX: ...'; smtp_RCPT copied from 3.x
# (_strip_command_keyword, _getaddr, _getparams) with an added 550 for the do-not-reply
# address; a server class named SMTPServer(smtpd.SMTPServer) setting channel_class, and
# the service's own subclass with a **kwargs process_message; main loop in try/except
# KeyboardInterrupt. (The original pointed smtpd.DEBUGSTREAM at sys.stdout and traced
# there; smtpd's own DEBUGSTREAM lines carry the start time and client ports, which no two
# runs share, so the trace goes to a module TRACE stream on stdout instead.)
import asynchat
import asyncore
import smtpd
import sys

from _record import record

TRACE = sys.stdout
smtpd.__version__ = "Welcome to SendSecure!"
NOREPLY = "do-not-reply-secure@example.com"


class SMTPChannel(smtpd.SMTPChannel):  # edited
    def push(self, msg):
        asynchat.async_chat.push(self, bytes(
            msg + "\r\n", "utf-8" if self.require_SMTPUTF8 else "ascii"))
        print("TX:", msg, file=TRACE)  # added

    def smtp_RCPT(self, arg):
        if not self.seen_greeting:
            self.push("503 Error: send HELO first")
            return
        if not self.mailfrom:
            self.push("503 Error: need MAIL command")
            return
        syntaxerr = "501 Syntax: RCPT TO: <address>"
        if self.extended_smtp:
            syntaxerr += " [SP <mail-parameters>]"
        if arg is None:
            self.push(syntaxerr)
            return
        arg = self._strip_command_keyword("TO:", arg)
        address, params = self._getaddr(arg)
        if not address:
            self.push(syntaxerr)
            return
        if not self.extended_smtp and params:
            self.push(syntaxerr)
            return
        self.rcpt_options = params.upper().split()
        params = self._getparams(self.rcpt_options)
        if params is None:
            self.push(syntaxerr)
            return
        if len(params.keys()) > 0:
            self.push("555 RCPT TO parameters not recognized or not implemented")
            return
        # added
        if address == NOREPLY:
            self.push("550 You attempted to email a reply directly to the no-reply address.")
            return
        # /added
        self.rcpttos.append(address)
        self.push("250 OK")

    def found_terminator(self):
        line = self._emptystring.join(self.received_lines)
        self.received_lines = []
        if self.smtp_state == self.COMMAND:
            print("RX:", repr(line), file=TRACE)  # added
            sz, self.num_bytes = self.num_bytes, 0
            if not line:
                self.push("500 Error: bad syntax")
                return
            if not self._decode_data:
                line = str(line, "utf-8")
            i = line.find(" ")
            if i < 0:
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


class SMTPServer(smtpd.SMTPServer):  # edited
    channel_class = SMTPChannel


class SecureMailServer(SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("secure message for", rcpttos, file=TRACE)


if __name__ == "__main__":
    server = SecureMailServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("stopped", file=TRACE)
