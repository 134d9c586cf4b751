# Shape: a hosted mail-forwarding service: settings read from the environment at import
# (PORT, COMMIT, FORWARD_TO, FORWARDED_DOMAINS as a space-separated set, an optional
# bucket name), a class named SMTPServer(smtpd.SMTPServer) with channel_class = TLSChannel
# (a channel subclass from the project's utils adding STARTTLS), a no-argument __init__
# that logs the settings then calls super().__init__(('0.0.0.0', local_port), None) and
# sets start_ssl; handle_accepted resetting start_ssl before super(); process_message
# (**kwargs) wrapped by a @with_sentry decorator (functools.wraps, reports and re-raises)
# that regex-searches data (bytes) for a Message-ID, builds a msg-ref, returns
# '454 forwarding not permitted' for recipients outside the allowed domains, else forwards
# (an X-Peer header inserted after the last header) and logs the response, with a
# try/finally that records the message to storage (a warning when no bucket is set);
# allow_address a staticmethod. (TLS is refused by the stand-in channel, forwarding goes
# to a local outbox file instead of the MX, and the message id without a Message-ID is a
# digest of the data, not random; 127.0.0.1.)
import asyncore
import functools
import hashlib
import logging
import os
import re
import smtpd
import sys

from _record import record

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")
logger = logging.getLogger("forwarder")

local_port = int(os.getenv("PORT") or 0)
commit = os.getenv("COMMIT") or "-"
forward_to = os.environ.get("FORWARD_TO", "inbox@forward.example")
_, forward_to_host = forward_to.split("@", 1)
allowed_domains = set(filter(None, os.getenv("FORWARDED_DOMAINS", "example.com").split(" ")))
s3_bucket = os.environ.get("AWS_BUCKET_NAME")


def with_sentry(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as e:
            logger.error("sentry: captured %s: %s", e.__class__.__name__, e)
            raise

    return wrapper


class TLSChannel(smtpd.SMTPChannel):
    def smtp_STARTTLS(self, arg):
        if arg:
            self.push("501 Syntax error (no parameters allowed)")
        else:
            self.push("454 TLS not available due to temporary reason")


class SMTPServer(smtpd.SMTPServer):
    channel_class = TLSChannel

    def __init__(self):
        logger.info('starting SMTP server on %s\nforwarding to %s\nallowed domains: %s\n'
                    'commit: "%s"',
                    local_port, forward_to, sorted(allowed_domains), commit)

        super().__init__(("127.0.0.1", local_port), None)
        self.start_ssl = False

    def handle_accepted(self, conn, addr):
        self.start_ssl = False
        super().handle_accepted(conn, addr)

    @with_sentry
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        m = re.search(b"^Message-ID: <(.+?)>", data, flags=re.M)
        if m:
            # use md5 so we get a unique id without it being 100 chars long
            msg_id = hashlib.md5(m.group(1)).hexdigest()[:10]
        else:
            msg_id = "unknown-" + hashlib.sha1(data).hexdigest()[:10]
        msg_ref = f"{mailfrom}-{msg_id}"

        try:
            if self.allow_address(*rcpttos):
                response = self.forward_email(peer, mailfrom, data)
            else:
                return "454 forwarding not permitted"
            logger.info('msg-ref=%s rcpt=%s size=%d ssl=%r response="%s"',
                        msg_ref, ", ".join(rcpttos), len(data), self.start_ssl, response)
            return response
        finally:
            self.record_s3(msg_id, data)

    def forward_email(self, peer, mailfrom, data) -> str:
        lines = data.splitlines(keepends=True)
        # Look for the last header
        i = 0
        ending = b"\r\n"
        for line in lines:
            if re.match(rb"\r\n|\r|\n", line):
                ending = line
                break
            i += 1
        peer_address = peer[0].encode("ascii")
        lines.insert(i, b"X-Peer: %s%s" % (peer_address, ending))
        content = b"".join(lines)
        with open("outbox.txt", "ab") as outbox:
            outbox.write(b"MAIL FROM " + mailfrom.encode() + b" TO " + forward_to.encode() + b"\n")
            outbox.write(content + b"\n.\n")
        return "250 OK"

    def record_s3(self, msg_ref, data):
        if s3_bucket:
            logger.info("saving %s to %s", msg_ref, s3_bucket)
        else:
            logger.warning("s3_bucket not set, not saving to S3")

    @staticmethod
    def allow_address(*addresses):
        return any(r.split("@", 1)[1] in allowed_domains for r in addresses)


if __name__ == "__main__":
    server = SMTPServer()
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        logger.info("stopping")
