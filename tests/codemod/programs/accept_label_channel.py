# A gateway's test double: each accepted connection gets a numbered label, computed in
# handle_accepted and handed to the channel it builds by hand as a keyword argument; an
# XLABEL verb answers with it, and QUIT prints it.
import asyncore
import smtpd

from _record import record


class LabelledChannel(smtpd.SMTPChannel):
    def __init__(self, server, conn, addr, label=None):
        smtpd.SMTPChannel.__init__(self, server, conn, addr)
        self.label = label

    def smtp_XLABEL(self, arg):
        self.push("250 %s" % self.label)

    def smtp_QUIT(self, arg):
        print("closing", self.label, flush=True)
        self.push("221 Bye")
        self.close_when_done()


class LabellingServer(smtpd.SMTPServer):
    accepted = 0

    def handle_accepted(self, conn, addr):
        self.accepted += 1
        label = "session-%d" % self.accepted
        LabelledChannel(self, conn, addr, label=label)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = LabellingServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()
