# Shape: a development mail viewer's SMTP side: SMTPServer(queue, *args, **kw) setting
# the queue before super().__init__; a **kwargs process_message in a broad try/except
# building a Message record from message_from_bytes(policy=default) (To, From, Subject,
# html and text parts from walk()) and putting it on the queue; an SMTPThread whose run()
# creates the server and runs asyncore.loop(timeout=0.5), stop() closes and joins.
import asyncore
import dataclasses
import email
import queue
import smtpd
import sys
import threading
import time
from email import policy
from typing import Optional

from _record import record


@dataclasses.dataclass
class Message:
    to: Optional[str]
    from_: Optional[str]
    reply_to: Optional[str]
    subject: Optional[str]
    html: Optional[str]
    text: Optional[str]


def echo(text):
    print(text, flush=True)


class SMTPServer(smtpd.SMTPServer):
    def __init__(self, queue, *args, **kw):
        self.queue = queue
        super().__init__(*args, **kw)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        try:
            msg = email.message_from_bytes(data, policy=policy.default)
            new = Message(
                to=msg["To"],
                from_=msg["From"],
                reply_to=msg["ReplyTo"],
                subject=msg["Subject"],
                html=None,
                text=None,
            )
            echo(f"Received email for {new.to}: {new.subject}")
            if msg.is_multipart():
                for part in msg.walk():
                    mime = part.get_content_type()
                    if mime == "text/html":
                        new.html = part.get_content()
                    elif mime == "text/plain":
                        new.text = part.get_content()
            else:
                mime = msg.get_content_type()
                if mime == "text/html":
                    new.html = msg.get_content()
                elif mime == "text/plain":
                    new.text = msg.get_content()
            self.queue.put(new)
        except Exception as ex:
            echo("Failed to process email")
            echo(ex)


class SMTPThread(threading.Thread):
    def __init__(self, queue, *args, **kw):
        self.queue = queue
        self.server = None
        super().__init__(*args, **kw)

    def run(self):
        echo("Starting SMTP server")
        self.server = SMTPServer(self.queue, ("127.0.0.1", 0), None)
        asyncore.loop(timeout=0.5)

    def stop(self):
        echo("Stopping SMTP server")
        self.server.close()
        self.join()


if __name__ == "__main__":
    inbox = queue.Queue()
    thread = SMTPThread(inbox, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while thread.server is None and time.monotonic() < deadline:
        time.sleep(0.01)
    print(thread.server.socket.getsockname()[1], flush=True)
    sys.stdin.readline()
    thread.stop()
    while not inbox.empty():
        item = inbox.get()
        print(item.subject, repr(item.text))
