# Shape: an "incoming mail logger" service: a logger with a RotatingFileHandler writing
# mail.log next to the script (maxBytes/backupCount set, plain "%(levelname)s
# %(message)s" format), LogReceiver(smtpd.SMTPServer) whose **kwargs process_message
# logs the envelope, the options it got and the message size, logs a warning and returns
# "550 5.1.1 Mailbox unavailable" for recipients on a REFUSED list; the loop is
# asyncore.loop(timeout=1) in try/except KeyboardInterrupt that logs "shutting down"
# and closes the handler.
import asyncore
import logging
import logging.handlers
import os
import smtpd

from _record import record

HERE = os.path.dirname(os.path.abspath(__file__))
REFUSED = {"nobody@example.com"}

logger = logging.getLogger("mail-receiver")
logger.setLevel(logging.INFO)
handler = logging.handlers.RotatingFileHandler(
    os.path.join(HERE, "mail.log"), maxBytes=1024 * 1024, backupCount=3
)
handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
logger.addHandler(handler)


class LogReceiver(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        logger.info("from=%s to=%s size=%d", mailfrom, ",".join(rcpttos), len(data))
        logger.info("options: mail=%s rcpt=%s", kwargs.get("mail_options"),
                    kwargs.get("rcpt_options"))
        refused = [r for r in rcpttos if r in REFUSED]
        if refused:
            logger.warning("refused: %s", ",".join(refused))
            return "550 5.1.1 Mailbox unavailable"


if __name__ == "__main__":
    receiver = LogReceiver(("127.0.0.1", 0), None)
    logger.info("listening")
    print(receiver.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop(timeout=1)
    except KeyboardInterrupt:
        logger.info("shutting down")
        handler.close()
