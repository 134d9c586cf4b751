# Shape: an e-mail-to-SMS gateway: module-level set-up (load a .env file, silence warnings),
# CustomSMTPServer(smtpd.SMTPServer) whose process_message(**kwargs) runs everything in a
# bare try/except: credentials from os.environ.get(), the phone number from the first
# recipient's local part, BytesParser().parsebytes(data), str(payload bytes)[2:-1] with
# escaped newlines replaced and a no-argument .format() on the text, an SMS client call
# (a local stub here, the original used an SMS API client), prints of what was sent or of
# the error (whose variables may be unbound there); module-level server, a print, a bare loop.
import asyncore
import os
import smtpd
import warnings
from email.parser import BytesParser

from _record import record

warnings.simplefilter("ignore")
# Load ENV file.
folder = os.getcwd()
if os.path.exists(f"{folder}/.env"):
    with open(f"{folder}/.env") as env:
        for line in env:
            key, _, value = line.strip().partition("=")
            os.environ.setdefault(key, value)


class Client:
    """Stands in for the SMS API client: sent messages go to sms.txt."""

    def __init__(self, sid, auth):
        self.messages = self

    def create(self, to, from_, body):
        with open("sms.txt", "a") as f:
            f.write("to=%s from=%s\n%s\n--\n" % (to, from_, body))


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        try:
            # Env Variables
            twil_sid = os.environ.get("account_sid")
            twil_auth = os.environ.get("auth_token")
            twil_num = os.environ.get("from_num")
            # Extract phone number from "To" header.
            number = rcpttos[0].split("@")[0]
            # Parse Email
            data_parse = BytesParser()
            email_data = data_parse.parsebytes(data)
            email_subject = str(email_data.get("Subject")).format()
            print(f"Data type received is: {email_data.get_content_type()}")
            for part in email_data.walk():
                if part.get_content_type() != "text/plain":
                    print("Only forwarding 'text/plain' portion of the email.")
                if part.get_content_type() == "text/plain":
                    email_body = (
                        str(part.get_payload(decode=True))[2:-1]
                        .replace("\\n", "\n")
                        .replace("\\r", "")
                        .format()
                    )

            # Initialize the SMS client.
            client = Client(twil_sid, twil_auth)
            # Send SMS.
            client.messages.create(
                to=f"+1{number}", from_=twil_num, body=f"{email_subject}:\n\n{email_body}"
            )
            print(f"'The following message was sent to: {number}")
            print(f"{email_subject}:\n\n{email_body}'")
            print("----------------")
        except:  # noqa: E722
            # Print if error occurs.
            print(f"'Error occurred while sending message to: {number}")
            print(f"{email_subject}:\n\n{email_body}'")
            print("----------------")


server = CustomSMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
print("email2sms is listening")

asyncore.loop()
