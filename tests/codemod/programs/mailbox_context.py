# A test helper: a context manager whose __enter__ makes self.smtp and serves it on a
# thread; code outside reads box.smtp.socket and the messages the server kept.
import asyncore
import sys
import threading
from smtpd import SMTPServer

from _record import record


class KeepingServer(SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.kept.append(rcpttos)


class Mailbox:
    def __enter__(self):
        self.smtp = KeepingServer(("127.0.0.1", 0), None)
        self.smtp.kept = []
        self.loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True)
        self.loop.start()
        return self

    def __exit__(self, *exc_info):
        self.smtp.close()
        self.loop.join(10)
        return False


with Mailbox() as box:
    print(box.smtp.socket.getsockname()[1], flush=True)
    sys.stdin.readline()
print("kept", len(box.smtp.kept), "messages", flush=True)
