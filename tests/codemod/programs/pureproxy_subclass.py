# A PureProxy subclass that never relays: its own process_message keeps the messages
# (the relay address stays a placeholder, as in many test settings).
import asyncore
import smtpd

from _record import record


class HoldingProxy(smtpd.PureProxy):
    held = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.held.append(mailfrom)
        record(peer, mailfrom, rcpttos, data, **kwargs)


proxy = HoldingProxy(("127.0.0.1", 0), ("nowhere.invalid", 25))
print(proxy.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    proxy.close()
    print("held", HoldingProxy.held, flush=True)
