# A relay stub whose Ctrl+C handler is a lambda closing every channel, then exiting (the
# interrupted select() must not run again on the closed sockets); a finally prints what
# it counted. The loop has an explicit timeout.
import asyncore
import collections
import signal
import smtpd
import sys

from _record import record

per_sender = collections.Counter()


class CountingStub(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        per_sender[mailfrom] += len(rcpttos)


stub = CountingStub(("127.0.0.1", 0), None)
signal.signal(signal.SIGINT, lambda signum, frame: asyncore.close_all() or sys.exit(0))
print(stub.socket.getsockname()[1], flush=True)
try:
    asyncore.loop(timeout=0.5)
finally:
    for sender, count in sorted(per_sender.items()):
        print(sender, count, flush=True)
