# A server written for Python 2 and 3 alike: the base __init__ is chosen by version
# (decode_data came in 3.5), once through an elif chain.
import asyncore
import smtpd
import sys

from _record import record


class VersionedSink(smtpd.SMTPServer):
    def __init__(self, localaddr, label):
        self.label = label
        if sys.version_info[0] < 3:  # noqa: UP036 (its shape: programs kept for Python 2)
            smtpd.SMTPServer.__init__(self, localaddr, None)
        elif sys.version_info >= (3, 5):  # noqa: UP036
            # str bodies on every Python 3 that has the option
            smtpd.SMTPServer.__init__(self, localaddr, None, decode_data=True)
            self.decoding = True
        else:
            smtpd.SMTPServer.__init__(self, localaddr, None)
            self.decoding = False
        self.count = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.count += 1
        print(self.label, self.count, "decoding" if self.decoding else "raw", flush=True)
        record(peer, mailfrom, rcpttos, data, **kwargs)


server = VersionedSink(("127.0.0.1", 0), "sink")
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    pass
