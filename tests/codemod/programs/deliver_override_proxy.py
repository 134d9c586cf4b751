# A PureProxy subclass that keeps its base's process_message (the X-Peer header) and
# replaces only _deliver: relayed mail goes to a queue instead of the remote server.
import asyncore
import queue
import smtpd

from _record import record


class QueueingProxy(smtpd.PureProxy):
    outbox = queue.Queue()

    def _deliver(self, mailfrom, rcpttos, data):
        record(("relay", 0), mailfrom, rcpttos, data)
        self.outbox.put((mailfrom, tuple(rcpttos), data))
        return {}


proxy = QueueingProxy(("127.0.0.1", 0), ("smtp.invalid", 25), decode_data=True)
print(proxy.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    proxy.close()
    while not QueueingProxy.outbox.empty():
        mailfrom, rcpttos, data = QueueingProxy.outbox.get()
        print(mailfrom, rcpttos, data.splitlines()[:4], flush=True)
