# Shape: a pytest fixture's Thread subclass whose run() defines the SMTPServer subclass
# (closing over the messages list), publishes host_port and loops; stop() closes it.
import asyncore
import sys
import threading
from collections import namedtuple
from smtpd import SMTPServer

from _record import record

RecordedMessage = namedtuple("RecordedMessage", "peer envelope_from envelope_recipients data")


class SMTPServerThread(threading.Thread):
    def __init__(self, messages):
        super().__init__()
        self.messages = messages
        self.ready = threading.Event()
        self.host_port = None

    def run(self):
        _messages = self.messages

        class _SMTPServer(SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                record(peer, mailfrom, rcpttos, data, **kwargs)
                _messages.append(RecordedMessage(peer, mailfrom, rcpttos, data))

        self.smtp = _SMTPServer(("127.0.0.1", 0), None)
        self.host_port = self.smtp.socket.getsockname()
        self.ready.set()
        asyncore.loop(timeout=0.1)

    def stop(self):
        self.smtp.close()
        self.join(10)


messages = []
thread = SMTPServerThread(messages)
thread.start()
thread.ready.wait(10)
print(thread.host_port[1], flush=True)
sys.stdin.readline()
thread.stop()
print("messages", len(messages), "alive", thread.is_alive(), flush=True)
