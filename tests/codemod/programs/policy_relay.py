# A relay front end that refuses some recipients through the return value.
import asyncore
import smtpd as s

from _record import record

REFUSED = {"nobody@example.com"}


class PolicyServer(s.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        if REFUSED & set(rcpttos):
            return "550 No such user here"
        # Falls through: smtpd answers 250 OK.


server = PolicyServer(("127.0.0.1", 0), ("relay.invalid", 25), data_size_limit=1000)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop(timeout=1)
