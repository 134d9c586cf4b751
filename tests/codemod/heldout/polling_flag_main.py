# Shape: a device-test mock server: messages kept as Message objects, the main thread
# polling asyncore.loop(timeout, count=1) until a flag set by a stdin watcher thread.
import asyncore
import smtpd
import sys
import threading

from _record import record


class Message:
    def __init__(self, peer, mailfrom, rcpttos, data):
        self.peer, self.mailfrom, self.rcpttos, self.data = peer, mailfrom, rcpttos, data


class SMTPServerMock(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self.messages = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.messages.append(Message(peer, mailfrom, rcpttos, data))


done = threading.Event()


def watch_stdin():
    sys.stdin.readline()
    done.set()


mock = SMTPServerMock(("127.0.0.1", 0), None)
threading.Thread(target=watch_stdin, daemon=True).start()
print(mock.socket.getsockname()[1], flush=True)
while not done.is_set():
    asyncore.loop(timeout=0.05, count=1)
mock.close()
print("received", len(mock.messages), flush=True)
