# Shape: a mail-logging daemon: SIGTERM turned into KeyboardInterrupt by a handler,
# asyncore.loop(timeout=30, use_poll=True), a 4-argument process_message with a renamed
# parameter (address) and the default decode_data, writing a log line per message.
import asyncore
import signal
import smtpd

from _record import record

LOGFILE = "mail.log"


def terminate(signum, frame):
    raise KeyboardInterrupt


class LoggingDaemon(smtpd.SMTPServer):
    def process_message(self, address, mailfrom, rcpttos, data):
        record(address, mailfrom, rcpttos, data)
        with open(LOGFILE, "a") as log:
            log.write("%s %s %s\n" % (address[0], mailfrom, " ".join(rcpttos)))


signal.signal(signal.SIGTERM, terminate)
daemon = LoggingDaemon(("127.0.0.1", 0), None)
print(daemon.socket.getsockname()[1], flush=True)
try:
    asyncore.loop(timeout=30, use_poll=True)
except KeyboardInterrupt:
    daemon.close()
    print("daemon stopped")
