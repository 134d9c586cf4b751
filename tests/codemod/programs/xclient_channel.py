# A channel subclass adding a verb (XCLIENT) that test suites use: left as is, reported.
import asyncore
import smtpd

from _record import record


class XClientChannel(smtpd.SMTPChannel):
    def smtp_XCLIENT(self, arg):
        self.push("220 XCLIENT ok")


class XClientServer(smtpd.SMTPServer):
    channel_class = XClientChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = XClientServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
