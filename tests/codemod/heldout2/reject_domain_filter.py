# Shape: a spam-filter front end: logging.basicConfig to stderr, a blocked-domain list
# checked in a 4-argument process_message (decode_data=True), a 5xx string returned for a
# blocked sender or a spammy subject, an explicit "250 Ok" otherwise.
import asyncore
import logging
import smtpd

from _record import record

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("spamfilter")

BLOCKED_DOMAINS = ("spam.example", "junk.example")
BAD_WORDS = ("viagra", "lottery")


class FilteringServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        domain = mailfrom.rpartition("@")[2].lower()
        if domain in BLOCKED_DOMAINS:
            log.warning("rejected sender %s", mailfrom)
            return "554 5.7.1 Sender domain blocked"
        lowered = data.lower()
        if any(word in lowered for word in BAD_WORDS):
            log.warning("rejected content from %s", mailfrom)
            return "550 5.7.1 Message content rejected"
        log.info("accepted %s -> %s", mailfrom, ",".join(rcpttos))
        return "250 Ok"


if __name__ == "__main__":
    server = FilteringServer(("127.0.0.1", 0), None, decode_data=True)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        log.info("shutting down")
        server.close()
