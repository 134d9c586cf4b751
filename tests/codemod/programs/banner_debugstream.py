# A sink that also silences DEBUGSTREAM: the assignment goes with the server.
import asyncore
import io
import smtpd

from _record import record

smtpd.DEBUGSTREAM = io.StringIO()


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = Sink(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
