# Shape: a "save every mail to a text file" script (smtp2file): SMTP2file(smtpd.SMTPServer)
# built at module level with an empty tuple as remoteaddr; a 4-argument process_message
# (default decode_data: TypeError on every message under Python 3) that parses the data
# with email.message_from_string, prints Received/From/To/Subject lines and a row of
# stars, makes a MSGS directory next to the script, writes the raw data there in text
# mode and saves the attachments through a helper module's attachments2file(); a bare
# asyncore.loop(). (The helper module is inlined; file names use a counter where the
# original used the wall clock.)
import asyncore
import email
import email.header
import os
import smtpd
from itertools import count

from _record import record

MSGS_DIR = "MSGS"
_numbers = count(1)


def header2str(value):
    parts = []
    for text, charset in email.header.decode_header(value or ""):
        if isinstance(text, bytes):
            text = text.decode(charset or "ascii", "replace")
        parts.append(text)
    return "".join(parts)


def attachments2file(mail, folder):
    for part in mail.walk():
        name = part.get_filename()
        if not name:
            continue
        if not os.path.isdir(folder):
            os.makedirs(folder)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(part.get_payload(decode=True))


class SMTP2file(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        mail = email.message_from_string(data)
        print("Received: {}".format(next(_numbers)))  # noqa: UP032
        print("From:     {}".format(mailfrom))  # noqa: UP032
        print("To:       {}".format(", ".join(rcpttos)))  # noqa: UP032
        print("Subject:  {}".format(header2str(mail["Subject"])))  # noqa: UP032
        print("*****************")
        if not os.path.isdir(MSGS_DIR):
            os.makedirs(MSGS_DIR)
        filename = "email_{}.txt".format(len(os.listdir(MSGS_DIR)) + 1)  # noqa: UP032
        with open(os.path.join(MSGS_DIR, filename), "w") as f:
            f.write(data)
        attachments2file(mail, "attachments")


s = SMTP2file(("127.0.0.1", 0), ())
print(s.socket.getsockname()[1], flush=True)
asyncore.loop()
