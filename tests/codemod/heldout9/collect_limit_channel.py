# Shape: a sink hardened against floods: CappedChannel(smtpd.SMTPChannel) overriding
# collect_incoming_data to count every byte the connection sends (self.seen, set in an
# __init__(*args, **kwargs) that forwards to the base) and, past MAX_CONNECTION_BYTES,
# to push "421 Too much data from you" and close_when_done() instead of calling the base;
# CappedServer(smtpd.SMTPServer) with channel_class = CappedChannel and a 4-argument
# process_message (default decode_data: TypeError on every message under Python 3)
# printing the sender and size; a bare module-level asyncore.loop().
import asyncore
import smtpd

from _record import record

MAX_CONNECTION_BYTES = 400


class CappedChannel(smtpd.SMTPChannel):
    def __init__(self, *args, **kwargs):
        smtpd.SMTPChannel.__init__(self, *args, **kwargs)
        self.seen = 0
        self.capped = False

    def collect_incoming_data(self, data):
        self.seen += len(data)
        if self.seen > MAX_CONNECTION_BYTES:
            if not self.capped:
                self.capped = True
                self.push("421 Too much data from you")
                self.close_when_done()
            return
        smtpd.SMTPChannel.collect_incoming_data(self, data)


class CappedServer(smtpd.SMTPServer):
    channel_class = CappedChannel

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print("from %s, %d bytes" % (mailfrom, len(data)))


server = CappedServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
