# Shape: a web mail viewer: the SMTP side starts on a daemon thread at import time and
# fills a module-level list of dicts the web views read, parsed with
# email.message_from_string (4-argument process_message, default decode_data).
import asyncore
import email
import sys
import threading
from smtpd import SMTPServer

from _record import record

EMAILS = []


class ViewerSMTPServer(SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        message = email.message_from_string(data)
        EMAILS.append(
            {"id": len(EMAILS) + 1, "from": mailfrom, "to": rcpttos, "subject": message["Subject"]}
        )


def start_smtp(port=0):
    server = ViewerSMTPServer(("127.0.0.1", port), None)
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 1}, daemon=True)
    thread.start()
    return server


def list_emails():
    return [(e["id"], e["subject"]) for e in EMAILS]


smtp_server = start_smtp()
print(smtp_server.socket.getsockname()[1], flush=True)
sys.stdin.readline()
print("inbox:", list_emails())
