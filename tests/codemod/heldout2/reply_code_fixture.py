# Shape: a mail client's test double: keyword-only __init__ (reply_code), super().__init__
# on port 0 with decode_data=False, a connection counter kept in handle_accepted before
# the base, process_message(..., **kwargs) answering the configured reply, and a daemon
# Thread(target=asyncore.loop) owned by the test, which reads the counters at the end.
import asyncore
import sys
import threading
from smtpd import SMTPServer

from _record import record


class FakeSmtpServer(SMTPServer):
    def __init__(self, *, reply_code=None, refuse_recipient="nobody@example.com"):
        super().__init__(("127.0.0.1", 0), None, decode_data=False)
        self.connection_count = 0
        self.messages = []
        self.recipients = []
        self.reply_code = reply_code
        self.refuse_recipient = refuse_recipient

    def handle_accepted(self, conn, addr):
        self.connection_count += 1
        super().handle_accepted(conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if self.refuse_recipient in rcpttos:
            return "550 5.1.1 mailbox unavailable"
        self.messages.append(data)
        self.recipients.append(list(rcpttos))
        return self.reply_code


server = FakeSmtpServer(reply_code="250 2.0.0 accepted for delivery")
thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True)
thread.start()
print(server.socket.getsockname()[1], flush=True)
sys.stdin.readline()
server.close()
thread.join(10)
print("connections", server.connection_count)
print("messages", len(server.messages), server.recipients)
