# Shape: a web framework's mail tests: a mock server that sets its list before the
# explicit base __init__ (4-argument process_message, decode_data=True), getters and a
# clear method, and a separate Thread subclass owning the loop and the shutdown.
import asyncore
import sys
import threading
from smtpd import SMTPServer

from _record import record


class MockSmtpServer(SMTPServer):
    def __init__(self, host, port):
        self.msgs = []
        SMTPServer.__init__(self, (host, port), None, decode_data=True)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.msgs.append((peer, mailfrom, rcpttos, data))

    def get_smtp_messages(self):
        return self.msgs

    def clear_smtp_messages(self):
        self.msgs = []


class MockSmtpServerThread(threading.Thread):
    def __init__(self, host, port):
        self.server = MockSmtpServer(host, port)
        threading.Thread.__init__(self, target=asyncore.loop, kwargs={"timeout": 0.1})

    def stop(self):
        self.server.close()
        self.join(10)

    def get_smtp_messages(self):
        return self.server.get_smtp_messages()


mock_thread = MockSmtpServerThread("127.0.0.1", 0)
mock_thread.start()
print(mock_thread.server.socket.getsockname()[1], flush=True)
sys.stdin.readline()
count = len(mock_thread.get_smtp_messages())
mock_thread.stop()
print("messages", count, flush=True)
