# Shape: an SMTP honeypot: smtpd.__version__ overwritten to look like another MTA in the
# greeting, a logging.FileHandler log of every envelope, **kwargs process_message with the
# default decode_data, and a main() guarded by __name__.
import asyncore
import logging
import smtpd

from _record import record

smtpd.__version__ = "ESMTP Postfix (Debian/GNU)"

logger = logging.getLogger("honeypot")
handler = logging.FileHandler("honeypot.log")
handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
logger.addHandler(handler)
logger.setLevel(logging.INFO)


class HoneypotServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        logger.info("from=%s to=%s size=%d", mailfrom, ",".join(rcpttos), len(data))
        logger.info("options=%r", kwargs)


def main():
    server = HoneypotServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        logger.info("honeypot stopped")


if __name__ == "__main__":
    main()
