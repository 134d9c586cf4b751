# A honeypot: logs each sender and peer through logging, keeps a JSON trail, accepts all.
import asyncore
import json
import logging
import smtpd

from _record import record

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
log = logging.getLogger("honeypot")


class Honeypot(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        log.info("mail from %s for %d recipients", mailfrom, len(rcpttos))
        print(json.dumps({"from": mailfrom, "to": rcpttos, "size": len(data)}), flush=True)
        record(peer, mailfrom, rcpttos, data, **kwargs)


trap = Honeypot(("127.0.0.1", 0), None)
print(trap.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    log.info("stopping")
    trap.close()
