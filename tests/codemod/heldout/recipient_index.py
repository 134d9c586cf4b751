# Shape: a fake server for an integration test taking (host, port), super().__init__ with
# decode_data=False spelled out, an index recipient -> [(sender, data)], a loop thread.
import asyncore
import smtpd
import sys
import threading
from collections import defaultdict

from _record import record


class IndexingServer(smtpd.SMTPServer):
    def __init__(self, host, port):
        super().__init__((host, port), None, decode_data=False)
        self.by_recipient = defaultdict(list)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        for rcpt in rcpttos:
            self.by_recipient[rcpt].append((mailfrom, data))


indexer = IndexingServer("127.0.0.1", 0)
loop_thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1}, daemon=True)
loop_thread.start()
print(indexer.socket.getsockname()[1], flush=True)
sys.stdin.readline()
indexer.close()
loop_thread.join(10)
for rcpt, mails in sorted(indexer.by_recipient.items()):
    print(rcpt, len(mails), flush=True)
