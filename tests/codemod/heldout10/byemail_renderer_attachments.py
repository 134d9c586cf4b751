# Shape: a personal webmail's receiver: persoSMTP(SMTPServer) (from smtpd import
# SMTPServer, written with a space before the parentheses) whose 4-argument
# process_message (default decode_data: TypeError on every message under Python 3) runs
# email.message_from_string(data) through a MessageRenderer, prints the rendered head,
# saves a Message row, one Attachment per attachment part and an "inbox" tag, all inside
# try/except that prints the traceback; run() builds the server and loops with
# asyncore.loop() in try/except KeyboardInterrupt.
import asyncore
import email
import traceback
import uuid
from smtpd import SMTPServer

from _record import record

MESSAGES = []
ATTACHMENTS = []


class MessageRenderer:
    def process_msg(self, msg):
        parts, attachments = [], []
        for part in msg.walk():
            if part.is_multipart():
                continue
            if part.get_filename():
                attachments.append((part.get_filename(), part.get_payload(decode=True)))
            else:
                parts.append(part.get_payload())
        head = {"from": msg["From"], "subject": msg["Subject"], "to": msg["To"]}
        return {"head": head, "parts": parts, "attachments": attachments}


messRend = MessageRenderer()


class persoSMTP (SMTPServer):
    def process_message (self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        try:
            msg = messRend.process_msg(email.message_from_string(data))
            print(msg["head"])
            message = {"id": uuid.uuid5(uuid.NAMESPACE_URL, mailfrom).hex,
                       "sender": mailfrom, "recipients": rcpttos,
                       "body": "\n".join(msg["parts"]), "tags": ["inbox"]}
            MESSAGES.append(message)
            for name, content in msg["attachments"]:
                ATTACHMENTS.append((message["id"], name, len(content)))
        except Exception:
            traceback.print_exc()


def run():
    server = persoSMTP(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("stored %d messages, %d attachments" % (len(MESSAGES), len(ATTACHMENTS)))


if __name__ == "__main__":
    run()
