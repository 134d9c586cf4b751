# Shape: an inbound-mail service: (*args, **kwargs) forwarded with super(), a list of
# handler objects, a run() method holding the loop, a broad except that logs the
# traceback so the client always gets 250.
import asyncore
import logging
import traceback
from smtpd import SMTPServer

from _record import record

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
logger = logging.getLogger()


class RecordingHandler:
    def handle_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        if "boom@example.com" in rcpttos:
            raise RuntimeError("handler failed")
        record(peer, mailfrom, rcpttos, data, **kwargs)


class ChainServer(SMTPServer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.handlers = []

    def run(self):
        asyncore.loop()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        try:
            for handler in self.handlers:
                handler.handle_message(peer, mailfrom, rcpttos, data, **kwargs)
        except Exception:
            logger.error(traceback.format_exc().splitlines()[-1])


chain = ChainServer(("127.0.0.1", 0), None)
chain.handlers.append(RecordingHandler())
print(chain.socket.getsockname()[1], flush=True)
try:
    chain.run()
except KeyboardInterrupt:
    chain.close()
