# Shape: a mail-to-SMS gateway: settings loaded from a .env file at import (dotenv; a
# small stand-in here), CustomSMTPServer(smtpd.SMTPServer) with a **kwargs process_message
# wrapped in one try/except that prints the error: it reads the SMS account settings
# from os.environ, takes the phone number from the first recipient's local part, parses
# the bytes with BytesParser().parsebytes(), prints the content type, walks the parts
# and sends each text/plain payload as an SMS through a client (a stand-in for twilio's
# Client), printing "Only for text/plain" for others; a module-level server and a bare
# asyncore.loop().
import asyncore
import os
import smtpd
from email.parser import BytesParser

from _record import record


def load_dotenv(path):  # stand-in for python-dotenv
    if os.path.exists(path):
        for line in open(path):
            key, _, value = line.strip().partition('=')
            os.environ.setdefault(key, value)


class Client:  # stand-in for twilio.rest.Client
    def __init__(self, sid, token):
        self.messages = self

    def create(self, body, from_, to):
        print(f"SMS {from_} -> {to}: {body!r}")


# Load ENV file.
folder = os.getcwd()
load_dotenv(f'{folder}/.env')


class CustomSMTPServer(smtpd.SMTPServer):

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        try:
            # Env Variables
            twil_sid = os.environ.get("account_sid")
            twil_auth = os.environ.get("auth_token")
            twil_num = os.environ.get("from_num")
            # Extract phone number from "To" header.
            number = rcpttos[0].split('@')[0]
            # Parse Email
            data_parse = BytesParser()
            email_data = data_parse.parsebytes(data)
            email_subject = str(email_data.get('Subject')).format()
            print(f"Data type received is: {email_data.get_content_type()}")
            for part in email_data.walk():
                if part.get_content_type() != 'text/plain':
                    print(f"Only for text/plain, not {part.get_content_type()}")
                    continue
                body = part.get_payload()
                client = Client(twil_sid, twil_auth)
                client.messages.create(body=f"{email_subject}: {body}",
                                       from_=twil_num, to=number)
        except Exception as e:
            print(f"Error: {e}")


server = CustomSMTPServer(('127.0.0.1', 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
