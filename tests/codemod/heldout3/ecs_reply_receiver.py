# Shape: a web application's reply-by-mail receiver: a channel whose handle_error calls
# sys.excepthook(*sys.exc_info()) then handle_close, set as channel_class; __init__()
# without arguments reading a settings dict (listen_addr, data_size_limit from a class
# constant, decode_data=False); SMTPError exceptions turned into reply strings, other
# exceptions logged and re-raised, '250 Ok' returned; a run_loop() method.
import asyncore
import email
import logging
import re
import smtpd
import sys

from _record import record

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s %(message)s")
logger = logging.getLogger(__name__)
SMTPD_CONFIG = {"listen_addr": ("127.0.0.1", 0), "domain": "example.com"}
THREADS = {"bob": "thread-1", "carol": "thread-2"}


class SMTPError(Exception):
    def __init__(self, code, description):
        super().__init__("{} {}".format(code, description))  # noqa: UP032
        self.code = code
        self.description = description


class EcsSMTPChannel(smtpd.SMTPChannel):
    def handle_error(self):
        # Give the global exception hook (an error reporter) a chance to see it.
        sys.excepthook(*sys.exc_info())
        self.handle_close()


class EcsMailReceiver(smtpd.SMTPServer):
    channel_class = EcsSMTPChannel
    MAX_MSGSIZE = 1024 * 1024

    def __init__(self):
        smtpd.SMTPServer.__init__(
            self,
            SMTPD_CONFIG["listen_addr"],
            None,
            data_size_limit=self.MAX_MSGSIZE,
            decode_data=False,
        )
        self.logger = logging.getLogger("EcsMailReceiver")

    def _find_thread(self, recipient):
        local, domain = recipient.split("@")
        if domain != SMTPD_CONFIG["domain"]:
            raise SMTPError(550, "Relay access denied")
        if local == "boom":
            raise RuntimeError("the store is down")
        m = re.match(r"([a-z]+)$", local)
        if m and m.group(1) in THREADS:
            return THREADS[m.group(1)]
        raise SMTPError(553, "Invalid recipient <{}>".format(recipient))  # noqa: UP032

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        try:
            if len(rcpttos) > 1:
                raise SMTPError(554, "Too many recipients")
            msg = email.message_from_bytes(data)
            thread = self._find_thread(rcpttos[0])
            logger.info(
                "Accepted email from %s to %s thread %s subject %s",
                mailfrom,
                rcpttos[0],
                thread,
                msg["Subject"],
            )
        except SMTPError as e:
            logger.info("Rejected email: {0}".format(e))  # noqa: UP030, UP032
            return str(e)
        except Exception as e:
            logger.error("email raised exception: {0}".format(e))  # noqa: UP030, UP032
            raise
        return "250 Ok"

    def run_loop(self):
        asyncore.loop()


if __name__ == "__main__":
    receiver = EcsMailReceiver()
    print(receiver.socket.getsockname()[1], flush=True)
    try:
        receiver.run_loop()
    except KeyboardInterrupt:
        logger.info("receiver stopped")
