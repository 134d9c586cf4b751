# A test helper that owns a server and its loop thread (not a subclass): start() and
# stop() methods, the loop on a thread with timeout and use_poll.
import asyncore
import smtpd
import sys
import threading

from _record import record


class CollectingServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


class MailCatcher:
    def __init__(self, port=0):
        self.port = port

    def start(self):
        self.smtp = CollectingServer(("127.0.0.1", self.port), None)
        self.port = self.smtp.socket.getsockname()[1]
        kwargs = {"timeout": 0.05, "use_poll": True}
        self.thread = threading.Thread(target=asyncore.loop, kwargs=kwargs)
        self.thread.start()

    def stop(self):
        self.smtp.close()
        self.thread.join(10)


catcher = MailCatcher()
catcher.start()
print(catcher.port, flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
catcher.stop()
print("stopped", not catcher.thread.is_alive(), flush=True)
