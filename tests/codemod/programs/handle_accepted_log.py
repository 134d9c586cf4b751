# A sink that logs every connection by overriding handle_accepted, then the base.
import asyncore
import smtpd

from _record import record


class ConnectionLogger(smtpd.SMTPServer):
    def handle_accepted(self, conn, addr):
        print("connection from", addr[0], flush=True)
        smtpd.SMTPServer.handle_accepted(self, conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = ConnectionLogger(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
