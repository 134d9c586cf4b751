# A PureProxy subclass that replaces only _deliver (relayed mail goes to a list) but keeps
# its base's process_message without decode_data=True: smtpd passed it keywords it does not
# take, so every message raised TypeError and nothing was relayed; converted, the kept
# method fails on the bytes it gets, as noted.
import asyncore
import smtpd

from _record import record


class ListingProxy(smtpd.PureProxy):
    relayed = []

    def _deliver(self, mailfrom, rcpttos, data):
        record(("relay", 0), mailfrom, rcpttos, data)
        self.relayed.append(mailfrom)
        return {}


proxy = ListingProxy(("127.0.0.1", 0), ("smtp.invalid", 25))
print(proxy.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("relayed:", len(ListingProxy.relayed))
