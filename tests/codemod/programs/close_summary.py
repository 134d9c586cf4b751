# A collecting server whose own close() reports what it kept, closing the base in a
# finally block; the program closes it on Ctrl+C.
import asyncore
import smtpd

from _record import record


class Collector(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        super().__init__(localaddr, remoteaddr)
        self.senders = set()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.senders.add(mailfrom)

    def close(self):
        try:
            print("senders:", ", ".join(sorted(self.senders)), flush=True)
        finally:
            super(Collector, self).close()  # noqa: UP008 - the Python 2 form, as written
        print("closed", flush=True)


collector = Collector(("127.0.0.1", 0), None)
print(collector.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    pass
finally:
    collector.close()
