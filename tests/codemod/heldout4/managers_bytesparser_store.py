# Shape: a small mail system's SMTP server: SMTPServer(config, user_manager,
# email_manager) keeping the managers, host name and port from a config dict before
# super().__init__(('127.0.0.1', port), None) and an f-string start-up line; a **kwargs
# process_message printing the envelope and the raw data, parsing with
# BytesParser(policy=policy.default) and storing the message once per recipient through
# the email manager; main() prints what was stored when Ctrl+C ends the loop.
import asyncore
import logging
import smtpd
from email import policy
from email.parser import BytesParser

from _record import record

logger = logging.getLogger(__name__)


class UserManager:
    def __init__(self, domain):
        self.domain = domain
        self.users = {"bob", "carol"}

    def exists(self, address):
        local, _, domain = address.partition("@")
        return domain == self.domain and local in self.users


class EmailManager:
    def __init__(self, user_manager):
        self.user_manager = user_manager
        self.boxes = {}

    def store_email(self, sender, recipient, subject, content):
        if not self.user_manager.exists(recipient):
            print(f"unknown recipient {recipient}, dropped")
            return False
        self.boxes.setdefault(recipient, []).append((sender, subject, content))
        return True


class SMTPServer(smtpd.SMTPServer):
    def __init__(self, config, user_manager, email_manager):
        self.config = config
        self.user_manager = user_manager
        self.email_manager = email_manager
        self.hostname = config["server"]["server_domain"]
        self.port = config["server"]["smtp_port"]

        super().__init__(("127.0.0.1", self.port), None)
        print(f"SMTP server started at 127.0.0.1:{self.port}")

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print(f"Received message from {mailfrom} to {rcpttos}")
        print(f"Message data: {data}")
        logger.info(f"Received email from {mailfrom} to {rcpttos}")

        msg = BytesParser(policy=policy.default).parsebytes(data)
        subject = msg["Subject"]
        message_str = msg.get_payload(decode=True)

        for recipient in rcpttos:
            self.email_manager.store_email(mailfrom, recipient, subject, message_str)


def main():
    config = {"server": {"server_domain": "example.com", "smtp_port": 0}}
    users = UserManager(config["server"]["server_domain"])
    emails = EmailManager(users)
    server = SMTPServer(config, users, emails)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        for box, messages in sorted(emails.boxes.items()):
            print(box, [subject for _, subject, _ in messages])


if __name__ == "__main__":
    main()
