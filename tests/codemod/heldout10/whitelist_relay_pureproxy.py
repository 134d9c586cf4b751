# Shape: a mini mail relay: typed module constants (bind address and port, relay host and
# port, ALLOW_RELAY_FROM), os.chdir() to the script's folder, logging.basicConfig with a
# StreamHandler and a RotatingFileHandler (smtp.log); RelayService(smtpd.PureProxy) whose
# **kwargs process_message logs the message, returns None after a warning for peers not
# in the whitelist (the client still gets 250) and otherwise calls self._deliver to the
# relay (refused: a closed local port) and ignores the refusals; is_whitelisted is a
# function in the class body without self or @staticmethod, called through the class;
# the server is built with localaddr=/remoteaddr= keywords after logging "Running
# mini-mail relay"; a bare asyncore.loop().
import asyncore
import logging
import logging.handlers
import os
import smtpd
import socket


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


BIND_ADDRESS: str = "127.0.0.1"
BIND_PORT: int = 0
RELAY_HOST: str = "127.0.0.1"
RELAY_PORT: int = closed_port()
ALLOW_RELAY_FROM: list = ["127.0.0.1"]

LOG_FILE = "smtp.log"
LOG_LEVEL = logging.INFO  # logging.DEBUG // .ERROR...

os.chdir(os.path.realpath(os.path.join(os.getcwd(), os.path.dirname(__file__))))
LOG_PATH = os.path.join(os.getcwd(), LOG_FILE)

logging.basicConfig(
    format="[%(levelname)s] %(message)s",
    level=LOG_LEVEL,
    handlers=[
        logging.StreamHandler(),
        logging.handlers.RotatingFileHandler(
            LOG_PATH,
            maxBytes=10000000,   # 10 MB
            backupCount=5
        )
    ]
)
logger = logging.getLogger(__name__)

from _record import record  # noqa: E402


class RelayService(smtpd.PureProxy):

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        logger.info(f"Receieved a message from {mailfrom} to {rcpttos} ({peer[0]}) {data}")
        logger.debug(data)
        if not RelayService.is_whitelisted(peer=peer):
            logger.warning("Delivering peer not part of whitelist - rejecting")
            return
        refused = self._deliver(mailfrom, rcpttos, data)  # noqa: F841

    def is_whitelisted(peer: tuple) -> bool:
        return isinstance(peer, tuple) and len(peer) >= 1 and peer[0] in ALLOW_RELAY_FROM


if __name__ == "__main__":
    logger.info("Running mini-mail relay")
    smtp_server = RelayService(
        localaddr=(BIND_ADDRESS, BIND_PORT),
        remoteaddr=(RELAY_HOST, RELAY_PORT)
    )
    print(smtp_server.socket.getsockname()[1], flush=True)
    asyncore.loop()
