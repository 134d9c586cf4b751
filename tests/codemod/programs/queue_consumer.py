# An inbound service: process_message puts messages on a queue that a worker thread
# drains and prints; the server takes the queue as an extra __init__ argument.
import asyncore
import queue
import smtpd
import threading

from _record import record


class QueueingServer(smtpd.SMTPServer):
    def __init__(self, localaddr, inbox):
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self.inbox = inbox

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.inbox.put((mailfrom, len(data)))


def drain(inbox):
    while True:
        item = inbox.get()
        if item is None:
            return
        print("queued", item, flush=True)


inbox = queue.Queue()
worker = threading.Thread(target=drain, args=(inbox,))
worker.start()
server = QueueingServer(("127.0.0.1", 0), inbox)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    server.close()
    inbox.put(None)
    worker.join(10)
