# Shape: a web mail app's inbound server: CustomSMTPServer(smtpd.SMTPServer) with
# mail_options=None, rcpt_options=None spelled out, a body of commented-out old code, then
# imports INSIDE process_message, a per-recipient user lookup whose `.first().id` raises
# AttributeError for unknown recipients, a Subject/Content line scan of data.decode() that
# leaves `title` unbound when there is no Subject, and a store with rollback on error; a
# wrapper class named SMTPServer (not a subclass) whose start() runs Thread(target=
# asyncore.loop, kwargs={'timeout': 1, 'use_poll': True}) and prints "start server";
# stop() closes and joins; get() returns an attribute that does not exist.
import asyncore
import smtpd
import sys
from threading import Thread

from _record import record


class _Query:
    USERS = {"bob@example.com": 1, "carol@example.com": 2, "boom@example.com": 3}

    def __init__(self, email):
        self.email = email

    def first(self):
        if self.email not in self.USERS:
            return None
        row = type("UserMail", (), {})()
        row.id = self.USERS[self.email]
        return row


class CustomSMTPServer(smtpd.SMTPServer):
    # no = 0
    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        # print('Receiving message from:', peer)
        # print('Message addressed from:', mailfrom)
        # filename = '%s-%d.eml' % (datetime.now().strftime('%Y%m%d%H%M%S'), self.no)
        # f = open(filename, 'wb')
        # f.write(data)
        # self.no += 1

        import json

        for email in rcpttos:
            mail_id = _Query(email).first().id
            text = data.decode()
            content = None
            for i in range(0, len(text.split("\n"))):
                if text.split("\n")[i].startswith("Subject"):
                    title = text.split("\n")[i].split(": ")[1]
                if text.split("\n")[i].startswith("Content"):
                    content = text.split("\n")[i].split(": ")[1]
            if content is not None:
                text = content

            message = {"mail_id": mail_id, "email_from": mailfrom, "title": title, "content": text}
            try:
                with open("mailbox.txt", "a") as f:
                    f.write(json.dumps(message, sort_keys=True) + "\n")
            except OSError:
                pass


class SMTPServer:
    def __init__(self):
        self.port = 0

    def start(self):
        self.smtp = CustomSMTPServer(("127.0.0.1", self.port), None)
        kwargs = {"timeout": 1, "use_poll": True}
        self.thread = Thread(target=asyncore.loop, kwargs=kwargs)
        self.thread.start()
        print("start server")

    def stop(self):
        self.smtp.close()
        self.thread.join()

    def get(self):
        return self.smtp.emails


if __name__ == "__main__":
    server = SMTPServer()
    server.start()
    print(server.smtp.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    server.stop()
    print("stopped")
