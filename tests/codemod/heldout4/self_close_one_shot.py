# Shape: a "custom SMTP server" snippet: __init__(localaddr, remoteaddr) calling
# smtpd.SMTPServer.__init__ by name and printing a start-up line, a 4-argument
# process_message (default decode_data) printing sender, recipients and the data with
# f-strings and then closing the server itself (one message and done); module-level
# server and a bare asyncore.loop().
import asyncore
import smtpd

from _record import record


# Define email server class
class CustomSMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        print("Custom SMTP server started...")

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print(f"Received email from {mailfrom} to {rcpttos}")
        print(f"Email data:\n{data}\n")
        self.close()


server = CustomSMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
print("server closed")
