# Shape: a Python-2-era fake server: handle_accept overridden with self.accept() and a
# channel built by hand as FakeSMTPChannel(self, conn, addr) (the channel's defaults, not
# the server's decode_data=True), a log line per connection, a 4-argument process_message.
import asyncore
import smtpd

from _record import record


class FakeSMTPChannel(smtpd.SMTPChannel):
    pass


class FakeSMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr):
        smtpd.SMTPServer.__init__(self, localaddr, None, decode_data=True)
        self.accepted = 0

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            self.accepted += 1
            print("incoming connection #%d from %s" % (self.accepted, addr[0]))
            FakeSMTPChannel(self, conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print("message for", rcpttos)


server = FakeSMTPServer(("127.0.0.1", 0))
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("accepted", server.accepted)
