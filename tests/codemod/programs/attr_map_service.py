# A library server keeping its own socket map as an attribute (self.channels, made in
# __init__ and given to the base), start() looping over it, stop() closing it all; the
# program serves in the main thread until Ctrl+C, then drains the queue it filled.
import asyncore
import queue
import smtpd

from _record import record


class QueueingServer(smtpd.SMTPServer):
    def __init__(self, host, port, inbox):
        self.channels = {}
        smtpd.SMTPServer.__init__(self, (host, port), None, map=self.channels)
        self.inbox = inbox

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.inbox.put((mailfrom, len(rcpttos)))

    def start(self):
        asyncore.loop(timeout=1, map=self.channels)

    def stop(self):
        asyncore.close_all(map=self.channels)
        self.close()


inbox = queue.Queue()
server = QueueingServer("127.0.0.1", 0, inbox)
print(server.socket.getsockname()[1], flush=True)
try:
    server.start()
except KeyboardInterrupt:
    server.stop()
while not inbox.empty():
    print("queued", inbox.get(), flush=True)
