# Shape: an inbound-mail microservice: process_message with explicit mail_options=None,
# rcpt_options=None, enable_SMTPUTF8=True and decode_data=False passed by keyword, the
# message parsed with email.message_from_bytes and appended to a JSON-lines inbox file.
import asyncore
import email
import json
import smtpd

from _record import record


class InboxServer(smtpd.SMTPServer):
    def __init__(self, localaddr, inbox_path):
        smtpd.SMTPServer.__init__(self, localaddr, None, enable_SMTPUTF8=True, decode_data=False)
        self.inbox_path = inbox_path

    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        message = email.message_from_bytes(data)
        entry = {
            "from": mailfrom,
            "to": rcpttos,
            "subject": message.get("Subject"),
            "options": mail_options,
            "utf8": "SMTPUTF8" in (mail_options or []),
            "body": message.get_payload(),
        }
        with open(self.inbox_path, "a", encoding="utf-8") as inbox:
            inbox.write(json.dumps(entry, sort_keys=True) + "\n")


if __name__ == "__main__":
    server = InboxServer(("127.0.0.1", 0), "inbox.json")
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        server.close()
