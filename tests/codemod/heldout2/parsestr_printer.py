# Shape: a tutorial mail printer with renamed parameters (Peer, From, To, Data),
# decode_data=True so Data is str, email.parser.Parser().parsestr() for the headers, the
# body printed line by line, and asyncore.loop() with Ctrl+C caught and ignored.
import asyncore
import smtpd
from email.parser import Parser

from _record import record


class PrintingSMTPServer(smtpd.SMTPServer):
    def process_message(self, Peer, From, To, Data):
        record(Peer, From, To, Data)
        headers = Parser().parsestr(Data)
        print("From   :", From)
        print("To     :", ", ".join(To))
        print("Subject:", headers["subject"])
        for line in headers.get_payload().splitlines():
            print("  |", line)


server = PrintingSMTPServer(("127.0.0.1", 0), None, decode_data=True)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    pass
