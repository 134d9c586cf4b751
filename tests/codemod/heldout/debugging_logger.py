# Shape: a DebuggingServer subclass imported by name whose 4-argument process_message
# only logs the peer; remoteaddr is a string; asyncore.loop() in try/except.
import asyncore
import logging
from smtpd import DebuggingServer

from _record import record

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
logger = logging.getLogger("sink")


class PeerLogger(DebuggingServer):
    def process_message(self, peer, mail, rcpttos, data):
        logger.info("mail from %s", peer[0])
        record(peer, mail, rcpttos, data)


sink = PeerLogger(("127.0.0.1", 0), "0.0.0.0")
print(sink.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    pass
