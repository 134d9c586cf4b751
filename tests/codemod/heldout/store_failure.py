# Shape: an inbound-mail endpoint of a web app: process_message parses the message and
# saves it through an ORM; a database error propagates out of process_message.
import asyncore
import email
import smtpd

from _record import record


class DatabaseError(Exception):
    pass


class Inbox:
    def save(self, mailfrom, rcpttos, message):
        if "boom@example.com" in rcpttos:
            raise DatabaseError("could not connect to the database")


class InboundEndpoint(smtpd.SMTPServer):
    inbox = Inbox()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        message = email.message_from_bytes(data)
        self.inbox.save(mailfrom, rcpttos, message)
        record(peer, mailfrom, rcpttos, data, **kwargs)


endpoint = InboundEndpoint(("127.0.0.1", 0), None)
print(endpoint.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    endpoint.close()
