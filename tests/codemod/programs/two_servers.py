# Two sinks in one module, one loop serving both: the first port is the one tested.
import asyncore
import smtpd

from _record import record


class FrontSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


class BackupSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        return "451 Backup only"


front = FrontSink(("127.0.0.1", 0), None)
backup = BackupSink(("127.0.0.1", 0), None)
print(front.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    asyncore.close_all()
