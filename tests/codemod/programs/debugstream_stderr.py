# A sink that wants smtpd's diagnostics on stderr: aiosmtpd's log of its sessions goes
# there once converted (noted: its lines differ).
import asyncore
import smtpd
import sys

from _record import record

smtpd.DEBUGSTREAM = sys.stderr


class VerboseSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = VerboseSink(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
