# process_message(*args, **kwargs) indexing args, as some fixtures do.
import asyncore
import smtpd

from _record import record


class CaptureServer(smtpd.SMTPServer):
    def process_message(*args, **kwargs):
        self, peer, mailfrom, rcpttos, data = args
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = CaptureServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
