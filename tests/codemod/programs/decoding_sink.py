# A sink that wants str data: 4-argument process_message with decode_data=True.
import asyncore
from email import message_from_string
from smtpd import SMTPServer

from _record import record


class ParsingServer(SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        message = message_from_string(data)
        print("Subject:", message["Subject"])
        record(peer, mailfrom, rcpttos, data)


server = ParsingServer(("127.0.0.1", 0), None, decode_data=True)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
