# Shape: a mail viewer's capture server (Django/Flask style): decode_data=True, a
# split_data() helper cutting the str into headers, subject and body, a Mail "model"
# saved to a list; the server is a DebuggingServer-like proxy subclass of SMTPServer.
import asyncore
from smtpd import SMTPServer

from _record import record

SAVED = []


def split_data(data):
    lines = data.split("\n")
    headers, body, subject = [], [], ""
    in_headers = True
    for line in lines:
        if not line:
            in_headers = False
        if in_headers:
            if line.startswith("Subject: "):
                subject = line.replace("Subject: ", "")
            headers.append(line)
        else:
            body.append(line)
    return "\n".join(headers), subject, "\n".join(body)


class Mail:
    def __init__(self, sender, recipients, headers, subject, body):
        self.sender, self.recipients = sender, recipients
        self.headers, self.subject, self.body = headers, subject, body

    def save(self):
        SAVED.append(self)


class ViewerCaptureServer(SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        headers, subject, body = split_data(data)
        Mail(mailfrom, ", ".join(rcpttos), headers, subject, body).save()
        print("saved:", subject, "|", len(body.splitlines()), "body lines")


capture = ViewerCaptureServer(("127.0.0.1", 0), None, decode_data=True)
print(capture.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("total", len(SAVED))
