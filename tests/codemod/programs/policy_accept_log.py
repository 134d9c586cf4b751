# A relay's front door: the channel refuses one recipient by its parsed address before the
# base RCPT, and the server logs each client in handle_accepted before the base call.
import asyncore
import smtpd

from _record import record


class GateChannel(smtpd.SMTPChannel):
    def smtp_RCPT(self, arg):
        address = self._getaddr(self._strip_command_keyword("TO:", arg))[0]
        if address and address.startswith("nobody@"):
            self.push("550 5.1.1 no such user here")
            return
        smtpd.SMTPChannel.smtp_RCPT(self, arg)


class GateServer(smtpd.SMTPServer):
    channel_class = GateChannel
    seen = 0

    def handle_accepted(self, conn, addr):
        self.seen += 1
        print("gate: client", self.seen, "from", addr[0], flush=True)
        smtpd.SMTPServer.handle_accepted(self, conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


gate = GateServer(("127.0.0.1", 0), None)
print(gate.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("gate saw", gate.seen, "clients", flush=True)
