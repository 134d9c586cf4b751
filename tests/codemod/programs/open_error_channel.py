# A store whose channel's handle_error logs the failure (with the client's address) and
# leaves the connection open: smtpd then never answered the message's final dot.
import asyncore
import smtpd
import sys

from _record import record


class StoreChannel(smtpd.SMTPChannel):
    def handle_error(self):
        error = sys.exc_info()[1]
        print("store error from %s: %s: %s" % (self.addr[0], type(error).__name__, error))


class Store(smtpd.SMTPServer):
    channel_class = StoreChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        if "boom@example.com" in rcpttos:
            raise RuntimeError("the store is down")
        record(peer, mailfrom, rcpttos, data, **kwargs)


store = Store(("127.0.0.1", 0), None)
print(store.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    store.close()
