# A test MTA that scrubs NUL bytes from everything a client sends (commands and message
# alike) before smtpd's own line handling sees it, and echoes an argument back with XECHO
# so that a test can check what arrived.
import asyncore
import smtpd

from _record import record


class ScrubbingChannel(smtpd.SMTPChannel):
    def collect_incoming_data(self, data):
        # NUL has no business in SMTP: replace it so that parsers downstream do not choke
        scrubbed = data.replace(b"\0", b"?")
        smtpd.SMTPChannel.collect_incoming_data(self, scrubbed)

    def smtp_XECHO(self, arg):
        self.push("250 %s" % arg)


class ScrubbingServer(smtpd.SMTPServer):
    channel_class = ScrubbingChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = ScrubbingServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()
