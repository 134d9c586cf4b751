# A sink on a fixed port, as most mail sinks are written: converted, a LongLinesController
# (not a BoundController: nothing reads the port), which must take long lines as smtpd did.
import asyncore
import smtpd

from _record import record


class FixedSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = FixedSink(("127.0.0.1", 8025), None, data_size_limit=4096)
print(8025, flush=True)
asyncore.loop()
