# Shape: a library's test helper: the server puts each (peer, mailfrom, rcpttos, data)
# tuple on a queue.Queue (4-argument process_message, decode_data=True), the loop runs
# on threading.Thread(target=asyncore.loop, kwargs=...), the test drains the queue and
# stops everything with asyncore.close_all().
import asyncore
import queue
import smtpd
import sys
import threading

from _record import record


class QueueingServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, queue):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr, decode_data=True)
        self.queue = queue

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.queue.put((peer, mailfrom, rcpttos, data))


inbox = queue.Queue()
server = QueueingServer(("127.0.0.1", 0), None, inbox)
loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
loop.daemon = True
loop.start()
print(server.socket.getsockname()[1], flush=True)
sys.stdin.readline()
asyncore.close_all()
loop.join(10)
while not inbox.empty():
    peer, mailfrom, rcpttos, data = inbox.get_nowait()
    print(mailfrom, rcpttos, data.splitlines()[0])
