# Shape: an integration-test helper started with fork/exec: it writes every message to an
# mbox file (decode_data=True, message_from_string) and installs a SIGINT handler that
# calls asyncore.close_all() so that the loop returns and the script says goodbye.
import asyncore
import mailbox
import signal
import smtpd
from email import message_from_string

from _record import record


class MboxServer(smtpd.SMTPServer):
    def __init__(self, localaddr, path):
        smtpd.SMTPServer.__init__(self, localaddr, None, decode_data=True)
        self.path = path

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        box = mailbox.mbox(self.path)
        message = message_from_string(data)
        message["X-Envelope-From"] = mailfrom
        box.add(message)
        box.close()


def stop(signum, frame):
    print("closing on signal", signum, flush=True)
    asyncore.close_all()


server = MboxServer(("127.0.0.1", 0), "delivered.mbox")
signal.signal(signal.SIGINT, stop)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop(timeout=0.1)
print("loop ended", flush=True)
