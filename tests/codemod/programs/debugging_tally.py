# A DebuggingServer subclass that prints as its base does (super().process_message with
# the options) and then keeps a tally of senders, printed when it is stopped.
import asyncore
import smtpd
from collections import Counter

from _record import record


class TallyingDebugServer(smtpd.DebuggingServer):
    def __init__(self, localaddr, remoteaddr):
        super().__init__(localaddr, remoteaddr)
        self.senders = Counter()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        super().process_message(peer, mailfrom, rcpttos, data, **kwargs)
        self.senders[mailfrom] += 1
        print("seen", mailfrom, self.senders[mailfrom], "time(s)", flush=True)


server = TallyingDebugServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()
    print("tally", sorted(server.senders.items()), flush=True)
