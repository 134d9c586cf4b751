# Shape: a spam-filtering "main" mail server: root logging configured at DEBUG at import,
# AntiSpamServer(smtpd.SMTPServer) with __init__(localaddr, remoteaddr, **kwargs) forwarding
# to super(AntiSpamServer, self).__init__, built with KEYWORD arguments
# (localaddr=..., remoteaddr=..., enable_SMTPUTF8=True); process_message(**kwargs) asks a
# spam-detection API (a local stub here) inside try/except that would breakpoint(), parses
# with message_from_bytes(policy=SMTPUTF8), raises RuntimeError when there is no Message-ID,
# adds an X-...-AntiSpam header, then relays with smtplib.SMTP() connect()ed to
# self._remoteaddr; serve() builds it into an unused local and runs a bare loop.
"""
The 'main' SMTP mail server: asks a spam-detection API about each mail and filters spam
out of clients' inboxes.
"""

import asyncore
import email
import email.errors
import email.policy
import hashlib
import http.client
import logging
import smtpd
import smtplib
from typing import Optional, Tuple

from _record import record

ServerAddr = Tuple[str, int]

logging.basicConfig(format="%(levelname)s:%(name)s:%(message)s")
logging.getLogger().setLevel(logging.DEBUG)


class config:
    mail_server_addr: ServerAddr = ("127.0.0.1", 0)
    mail_receiver_addr: ServerAddr = ("127.0.0.1", 8026)


def hash_email_contents(email: bytes) -> str:
    return hashlib.sha256(email).hexdigest().upper()


def extract_email_header_field(*, email_bytes: bytes, field_name: str) -> Optional[str]:
    e_msg = email.message_from_bytes(email_bytes, policy=email.policy.SMTPUTF8)
    return e_msg.get(field_name)


def extract_email_msg_id(email_bytes: bytes) -> Optional[str]:
    try:
        return extract_email_header_field(email_bytes=email_bytes, field_name="Message-ID")
    except (email.errors.HeaderParseError, IndexError):
        logging.warning("Failed to parse 'Message-ID' from email.")
        return None


class AntiSpamServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, **kwargs):
        super(AntiSpamServer, self).__init__(localaddr, remoteaddr, **kwargs)  # noqa: UP008

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        try:
            logging.info("Call fraud API ---")
            is_spam = self.check_for_spam(email_bytes=data)
        except http.client.HTTPException:
            breakpoint()
        e_msg = self.add_anti_spam_headers(is_spam=is_spam, data=data)
        s = smtplib.SMTP()
        s.connect(self._remoteaddr[0], self._remoteaddr[1])
        try:
            s.send_message(msg=e_msg, from_addr=mailfrom, to_addrs=rcpttos)
        finally:
            s.quit()

    @staticmethod
    def add_anti_spam_headers(is_spam: bool, data: bytes) -> email.message.Message:
        e_msg = email.message_from_bytes(data, policy=email.policy.SMTPUTF8)
        email_id = extract_email_msg_id(email_bytes=data)
        if not email_id:
            raise RuntimeError("Should not fail to get Message-ID.")
        e_msg.add_header("X-Example-AntiSpam", "SPAM" if is_spam else "HAM")
        return e_msg

    @staticmethod
    def check_for_spam(email_bytes: bytes) -> bool:
        email_id = extract_email_msg_id(email_bytes=email_bytes)
        if not email_id:
            raise RuntimeError("Should not fail to get Message-ID.")
        return b"viagra" in email_bytes.lower()


def serve():
    logging.info("Starting (spam-detecting) mail server.")
    localaddr: ServerAddr = config.mail_server_addr
    remoteaddr: ServerAddr = config.mail_receiver_addr
    _server = AntiSpamServer(localaddr=localaddr, remoteaddr=remoteaddr, enable_SMTPUTF8=True)
    print(_server.socket.getsockname()[1], flush=True)
    asyncore.loop()


if __name__ == "__main__":
    serve()
