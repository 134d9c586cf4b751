# Python 2 style __init__ keeping state, reading the legacy attributes.
import asyncore
import smtpd

from _record import record


class StoringServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, tag):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.tag = tag
        self.messages = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.messages.append(data)
        # The relay target is only stored by smtpd: echo it into the record.
        record(peer, mailfrom, rcpttos + [repr(self._remoteaddr), self.tag], data, **kwargs)
        if len(self.messages) > 1:
            return "452 Too many messages in this test"
        return None


server = StoringServer(("127.0.0.1", 0), ("smarthost.invalid", 2525), "py2")
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    pass
