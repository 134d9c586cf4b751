# A mail archiver whose channel replaces the default error report with one line naming
# the client, then hangs up; the archive fails for one recipient.
import asyncore
import smtpd
import sys

from _record import record


class ArchiveChannel(smtpd.SMTPChannel):
    def handle_error(self):
        kind, error, _ = sys.exc_info()
        # One line per failure instead of the usual traceback.
        print("archive failed for %s: %s: %s" % (self.peer[0], kind.__name__, error))
        self.handle_close()


class Archiver(smtpd.SMTPServer):
    channel_class = ArchiveChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        if "boom@example.com" in rcpttos:
            raise RuntimeError("the store is down")
        record(peer, mailfrom, rcpttos, data, **kwargs)


archiver = Archiver(("127.0.0.1", 0), None)
print(archiver.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    archiver.close()
