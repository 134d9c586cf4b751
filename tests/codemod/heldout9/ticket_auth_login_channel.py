# Shape: a ticketing system's mail gateway with SMTP AUTH LOGIN only: TicketChannel(
# smtpd.SMTPChannel) whose __init__ takes the seven arguments smtpd passes
# (server, conn, addr, data_size_limit, map, enable_SMTPUTF8, decode_data) and forwards
# them with super(), reads server.users and keeps an _auth_step; it does not advertise
# AUTH in EHLO; smtp_AUTH accepts LOGIN only (504 otherwise, 503 once authenticated)
# and pushes the 334 prompts (base64 "Username:"/"Password:"), collecting the answers
# by overriding found_terminator while a login is in progress (501 on bad base64);
# "535 5.7.8 Authentication failed" or
# "235 2.7.0 Authentication successful"; smtp_MAIL answers "530 5.7.0 Authentication
# required" until authenticated, then the base; TicketServer(smtpd.SMTPServer) with
# channel_class, a users dict and a 4-argument process_message (default decode_data:
# TypeError on every message under Python 3) that would open a ticket per message; a bare
# asyncore.loop().
import asyncore
import base64
import smtpd

from _record import record


class TicketChannel(smtpd.SMTPChannel):
    def __init__(self, server, conn, addr, data_size_limit=smtpd.DATA_SIZE_DEFAULT,
                 map=None, enable_SMTPUTF8=False, decode_data=False):
        super().__init__(server, conn, addr, data_size_limit, map, enable_SMTPUTF8,
                         decode_data)
        self.users = server.users
        self.authenticated = False
        self._auth_step = None
        self._auth_user = None

    def found_terminator(self):
        if self._auth_step is None:
            return smtpd.SMTPChannel.found_terminator(self)
        line = self._emptystring.join(self.received_lines)
        self.received_lines = []
        if not self._decode_data:
            line = str(line, "utf-8")
        try:
            answer = base64.b64decode(line).decode("utf-8")
        except ValueError:
            self._auth_step = None
            self.push("501 5.5.2 Cannot decode response")
            return
        if self._auth_step == "user":
            self._auth_user = answer
            self._auth_step = "password"
            self.push("334 UGFzc3dvcmQ6")
            return
        self._auth_step = None
        if self.users.get(self._auth_user) == answer:
            self.authenticated = True
            self.push("235 2.7.0 Authentication successful")
        else:
            self.push("535 5.7.8 Authentication failed")

    def smtp_AUTH(self, arg):
        if self.authenticated:
            self.push("503 5.5.1 Already authenticated")
        elif not arg or arg.upper() != "LOGIN":
            self.push("504 5.5.4 Only AUTH LOGIN is supported")
        else:
            self._auth_step = "user"
            self.push("334 VXNlcm5hbWU6")

    def smtp_MAIL(self, arg):
        if not self.authenticated:
            self.push("530 5.7.0 Authentication required")
            return
        super().smtp_MAIL(arg)


class TicketServer(smtpd.SMTPServer):
    channel_class = TicketChannel
    users = {"user": "secret"}
    next_ticket = 1000

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        TicketServer.next_ticket += 1
        print("opened ticket #%d for %s" % (self.next_ticket, mailfrom))


server = TicketServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
