# Shape: a spam trap: counts connections' messages, logs peer, sender and recipients
# with the logging module, answers a fake "queued as" 250 for each message, and keeps
# data_size_limit small.
import asyncore
import logging
import smtpd

from _record import record

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
log = logging.getLogger("spampot")


class SpamPot(smtpd.SMTPServer):
    def __init__(self, localaddr):
        smtpd.SMTPServer.__init__(self, localaddr, None, data_size_limit=100000)
        self.caught = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.caught += 1
        log.info("spam #%d from %s: %s -> %s", self.caught, peer[0], mailfrom, rcpttos)
        record(peer, mailfrom, rcpttos, data, **kwargs)
        return "250 2.0.0 Ok: queued as %05d" % self.caught


pot = SpamPot(("127.0.0.1", 0))
print(pot.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    log.info("caught %d messages", pot.caught)
