# super().__init__ with decode_data=True and a staticmethod body.
import asyncore
import smtpd

from _record import record


class QuietServer(smtpd.SMTPServer):
    def __init__(self, localaddr):
        super().__init__(localaddr, None, decode_data=True)

    @staticmethod
    def process_message(peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        return "250 Queued"


server = QuietServer(("127.0.0.1", 0))
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
