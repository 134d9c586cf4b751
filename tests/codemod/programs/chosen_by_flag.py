# Two sinks, one picked by a conditional expression on a module flag; the picked one
# reads the relay address smtpd stored (self._remoteaddr) and prints a line per message.
import asyncore
import smtpd

from _record import record

VERBOSE = True


class QuietSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


class VerboseSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=(), rcpt_options=()):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        print("would relay to", self._remoteaddr, "from", mailfrom, len(data), flush=True)
        if "carol@example.com" in rcpttos:
            return "250 2.0.0 queued for carol"


Sink = VerboseSink if VERBOSE else QuietSink
sink = Sink(("127.0.0.1", 0), ("relay.invalid", 25))
print(sink.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    sink.close()
    print("stopped", flush=True)
