# Shape: a spam-detection project's mail server: logging.basicConfig with the root at
# DEBUG (stderr), header helpers around message_from_bytes(policy=SMTPUTF8) that log a
# warning for a broken Message-ID, an AntiSpamServer(smtpd.PureProxy) with
# super(Cls, self).__init__(localaddr, remoteaddr), a **kwargs process_message that asks
# a spam checker (an HTTP API in the project; here a local scorer), prepends X-Spam
# headers to the bytes and relays them itself with PureProxy's _deliver (not the base
# process_message), logging what was refused; the upstream here is a closed local port.
import asyncore
import email
import email.errors
import email.policy
import logging
import smtpd
import socket
from typing import Optional

from _record import record

logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
logging.getLogger().setLevel(logging.DEBUG)

SPAM_WORDS = ("viagra", "lottery", "round trip")


def extract_email_header_field(email_bytes: bytes, field_name: str) -> Optional[str]:
    e_msg = email.message_from_bytes(email_bytes, policy=email.policy.SMTPUTF8)
    return e_msg.get(field_name)


def extract_email_msg_id(email_bytes: bytes) -> Optional[str]:
    try:
        return extract_email_header_field(email_bytes=email_bytes, field_name="Message-ID")
    except (email.errors.HeaderParseError, IndexError):
        logging.warning("Failed to parse 'Message-ID' from email.")
        return None


class AntiSpamServer(smtpd.PureProxy):
    def __init__(self, localaddr, remoteaddr):
        super(AntiSpamServer, self).__init__(localaddr, remoteaddr)  # noqa: UP008

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        logging.info("Call spam checker ---")
        is_spam = self.check_for_spam(email_bytes=data)
        augmented_data = self.add_anti_spam_headers(is_spam=is_spam, data=data)
        # PureProxy.process_message splits str data; relay the bytes ourselves.
        refused = self._deliver(mailfrom, rcpttos, augmented_data)
        msg_id = extract_email_msg_id(data)
        logging.info("Relayed %s (msg id %s); refused: %s", mailfrom, msg_id, sorted(refused))

    def check_for_spam(self, email_bytes: bytes) -> bool:
        subject = extract_email_header_field(email_bytes, "Subject") or ""
        return any(word in subject.lower() for word in SPAM_WORDS)

    def add_anti_spam_headers(self, is_spam: bool, data: bytes) -> bytes:
        flag = b"YES" if is_spam else b"NO"
        return b"X-Spam-Flag: " + flag + b"\r\nX-Spam-Checker: local\r\n" + data


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    logging.info("Starting anti-spam mail server.")
    server = AntiSpamServer(("127.0.0.1", 0), ("127.0.0.1", closed_port()))
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()
