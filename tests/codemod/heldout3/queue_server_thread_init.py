# Shape: a test-mail helper whose server class (smtpd.SMTPServer, object) takes
# (*args, **kwargs) it ignores, binds a fixed address, starts its own daemon
# Thread(target=asyncore.loop) inside __init__, and queues each message
# (explicit mail_options=None, rcpt_options=None); the caller reads the queue.
import asyncore
import email
import queue
import smtpd
import sys
import threading

from _record import record

SERVER_ADDRESS = ("127.0.0.1", 0)


class EmailServer(smtpd.SMTPServer, object):  # noqa: UP004
    def __init__(self, *args, **kwargs):
        self.mq = queue.Queue()
        print("starting up on %s port %s" % SERVER_ADDRESS, file=sys.stderr)
        super().__init__(localaddr=SERVER_ADDRESS, remoteaddr=None)
        threading.Thread(target=asyncore.loop, daemon=True).start()
        print("Server started", file=sys.stderr)

    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        print(f"Incoming message from {mailfrom}, data:\n{data}", file=sys.stderr)
        self.mq.put(data)

    def get_email(self):
        print("Getting message from queue")
        return self.mq.get(timeout=10)


def decode_email_body(body):
    m = email.message_from_bytes(body)
    if m.is_multipart():
        for part in m.walk():
            if part.get_content_type() == "text/plain":
                body = part.get_payload(decode=True)
    else:
        body = m.get_payload(decode=True)
    return str(body)


if __name__ == "__main__":
    s = EmailServer()
    print(s.socket.getsockname()[1], flush=True)
    sys.stdin.readline()
    while not s.mq.empty():
        print(decode_email_body(s.get_email()))
