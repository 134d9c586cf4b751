# Shape: a disposable-mail API's SMTP receiver: CustomSMTPServer whose process_message
# spells out mail_options=None, rcpt_options=None and hands everything to a save(data=,
# rcpttos=, mailfrom=) helper of the app (one JSON inbox file per recipient); the API
# process creates the server and runs asyncore.loop on a daemon thread (the module's own
# __main__ loop is commented out).
import asyncore
import json
import os
import smtpd
import sys
import threading
from email import message_from_bytes

from _record import record

INBOX_DIR = "inboxes"


def save(data, rcpttos, mailfrom):
    message = message_from_bytes(data)
    os.makedirs(INBOX_DIR, exist_ok=True)
    for rcpt in rcpttos:
        path = os.path.join(INBOX_DIR, rcpt.lower() + ".json")
        mails = []
        if os.path.exists(path):
            with open(path) as f:
                mails = json.load(f)
        mails.append({"from": mailfrom, "subject": str(message["Subject"]), "size": len(data)})
        with open(path, "w") as f:
            json.dump(mails, f, indent=1)


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        save(data=data, rcpttos=rcpttos, mailfrom=mailfrom)


# if __name__ == '__main__':
#     server = CustomSMTPServer(('0.0.0.0', 1025), None)
#     asyncore.loop()


def start_smtp_server():
    server = CustomSMTPServer(("127.0.0.1", 0), None)
    threading.Thread(target=asyncore.loop, daemon=True).start()
    return server


if __name__ == "__main__":
    smtp = start_smtp_server()
    print(smtp.socket.getsockname()[1], flush=True)
    sys.stdin.readline()  # the API serves requests until it is told to stop
    for name in sorted(os.listdir(INBOX_DIR)) if os.path.isdir(INBOX_DIR) else []:
        print("inbox", name)
