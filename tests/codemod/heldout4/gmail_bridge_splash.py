# Shape: an SMTP-to-mail-API bridge: settings read with configparser (port, interface,
# labels), an ASCII splash printed by __init__(*args, **kwargs) (self hidden in args)
# before smtpd.SMTPServer.__init__(*args, **kwargs); process_message with explicit
# mail_options=None, rcpt_options=None inserting the base64 message once per recipient
# and returning a 554 string when the API refuses one; the server closed on Ctrl+C.
# (The mail API is a local stand-in writing to a file.)
import asyncore
import base64
import configparser
import json
import smtpd

from _record import record

config = configparser.ConfigParser()
config.read_string(
    """
[BRIDGE]
SMTPPort = 0
SMTPInterface = 127.0.0.1
Labels = INBOX,UNREAD
"""
)

SMTP_PORT = config.getint("BRIDGE", "SMTPPort")
SMTP_INTERFACE = config.get("BRIDGE", "SMTPInterface")
LABELS = config.get("BRIDGE", "Labels").split(",")

splash = r"""
  ___      _    _
 | _ )_ _ (_)__| |__ _ ___
 | _ \ '_|| / _` / _` / -_)
 |___/_|  |_\__,_\__, \___|
                 |___/
        SMTP to mail API bridge
"""


class ApiError(Exception):
    pass


class MailApi:
    """Stand-in for the mail API client: refuses unknown mailboxes."""

    known = {"bob@example.com", "carol@example.com", "dave@example.com"}

    def insert(self, user, body):
        if user not in self.known:
            raise ApiError("Mailbox {} not found".format(user))  # noqa: UP032
        with open("inserted.log", "a") as f:
            f.write(json.dumps({"user": user, **body}) + "\n")
        with open("inserted.log") as f:
            count = sum(1 for _ in f)
        return {"id": "msg-{}".format(count)}  # noqa: UP032


service = MailApi()


# SMTP server
class SMTPServer(smtpd.SMTPServer):
    """An SMTP server"""

    def __init__(*args, **kwargs):
        print(splash)
        print("[+] Running bridge SMTP server on port ", SMTP_PORT)
        smtpd.SMTPServer.__init__(*args, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        """Take emails sent over SMTP and insert them into the user's mailbox"""
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        for rcptto in rcpttos:
            try:
                message = {"labelIds": LABELS, "raw": base64.b64encode(data).decode("utf-8")}
                try:
                    result = service.insert(rcptto, message)
                    print(f"[+] Successfully inserted message for {rcptto} with Id: {result['id']}")
                except ApiError as err:
                    print(f"[!] An error occurred inserting mail for {rcptto}: {err}")
                    return f"554 {err}"
            except Exception as error:
                print(f"[!] An error occurred inserting mail for {rcptto}: {error}")
                return "554 Unhandled error"


if __name__ == "__main__":
    smtp_server = SMTPServer((SMTP_INTERFACE, SMTP_PORT), None)
    print(smtp_server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        smtp_server.close()
