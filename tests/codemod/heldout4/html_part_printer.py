# Shape: a notes-page "display the emails as HTML" server: CustomSMTPServer with a
# **kwargs process_message that parses the bytes with BytesParser(policy=default), walks
# the parts for the first text/html one (decoded payload, break), prints a header line
# and the HTML (None when there is none); module-level server and a bare loop.
import asyncore
import smtpd
from email.parser import BytesParser
from email.policy import default

from _record import record


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        message = BytesParser(policy=default).parsebytes(data)

        html = None
        for part in message.walk():
            if part.get_content_type() == "text/html":
                html = part.get_payload(decode=True).decode("utf-8")
                break

        print(f"Received message from {mailfrom} for {rcpttos}:")
        print(html)


server = CustomSMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
