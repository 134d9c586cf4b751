# A server class whose first base is a plain helper class of the module: counters and
# its own log() (which the dispatcher also had), used by process_message.
import asyncore
import smtpd

from _record import record


class Counters:
    def __init__(self, label):
        self.label = label
        self.seen = {}

    def bump(self, key):
        self.seen[key] = self.seen.get(key, 0) + 1
        return self.seen[key]

    def log(self, message):
        print("[%s] %s" % (self.label, message), flush=True)


class CountingSink(Counters, smtpd.SMTPServer):
    def __init__(self, localaddr):
        Counters.__init__(self, "sink")
        smtpd.SMTPServer.__init__(self, localaddr, None)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        count = self.bump(mailfrom)
        self.log("%s has sent %d message(s)" % (mailfrom, count))
        if count > 3:
            return "452 4.5.3 too many messages from you"


sink = CountingSink(("127.0.0.1", 0))
print(sink.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("stopping, senders:", sorted(sink.seen), flush=True)
