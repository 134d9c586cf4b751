# A developer's debug sink: smtpd imported under a guard that explains how to get it,
# the root logger at DEBUG on stderr (so every library's debug lines show), one log line
# per message.
import logging
import sys

try:
    import asyncore
    import smtpd
except ImportError:  # Python 3.12 removed them
    sys.exit("this tool needs Python 3.11 or older")

from _record import record

logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("devsink")


class DevSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        log.debug("message from %s to %d recipient(s)", mailfrom, len(rcpttos))


def main():
    sink = DevSink(("127.0.0.1", 0), None)
    print(sink.socket.getsockname()[1], flush=True)
    log.info("listening")
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        log.info("stopped")


if __name__ == "__main__":
    main()
