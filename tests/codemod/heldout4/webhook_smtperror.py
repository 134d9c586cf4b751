# Shape: a mail-to-webhook forwarder: echo/warn/error helpers, Message.text patched onto
# email.message.Message, an SMTPError(code, msg) exception whose repr is the reply line,
# forward_message() posting the sender, recipients and text to a webhook URL and raising
# SMTPError when the hook refuses; the server (decode_data=True) parses with
# message_from_string and returns repr(SMTPError) as the reply; bare loop under __main__.
# (The webhook is a local stand-in appending to a file.)
import asyncore
import json
import smtpd
from email import message_from_string
from email.message import Message

from _record import record

WEBHOOK_URL = "http://hooks.local/inbound"


def echo(msg, fg=None):
    print(msg if not fg else "[{}] {}".format(fg, msg))  # noqa: UP032


def warn(msg):
    return echo(msg, fg="yellow")


def error(msg):
    return echo(msg, fg="red")


def _msg_text(msg):
    if msg.is_multipart():
        return msg.get_payload(0).as_string()
    else:
        return msg.get_payload()


Message.text = _msg_text


class SMTPError(Exception):
    def __init__(self, code, msg):
        self.code = code
        self.message = msg

    def __repr__(self):
        return "%d %s" % (self.code, self.message)


def post(url, payload):
    """Stand-in for requests.post: the hook accepts mail for example.com only."""
    to = payload["to"]
    if not all(r.endswith("@example.com") for r in to) or "nobody@example.com" in to:
        return 422
    with open("webhook.out", "a") as f:
        f.write(json.dumps({"url": url, **payload}) + "\n")
    return 200


def forward_message(mailfrom, rcpttos, msg, webhook_url):
    payload = {"from": mailfrom, "to": rcpttos, "subject": msg["Subject"], "text": msg.text()}
    status = post(webhook_url, payload)
    if status != 200:
        raise SMTPError(550, "Webhook refused the message ({})".format(status))  # noqa: UP032
    echo("forwarded to {}".format(webhook_url))  # noqa: UP032


class WebhookSMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr, webhook_url):
        smtpd.SMTPServer.__init__(self, localaddr, None, decode_data=True)
        self.webhook_url = webhook_url

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        msg = message_from_string(data)
        try:
            forward_message(mailfrom, rcpttos, msg, self.webhook_url)
        except SMTPError as e:
            error("could not forward: {!r}".format(e))  # noqa: UP032
            return repr(e)


if __name__ == "__main__":
    server = WebhookSMTPServer(("127.0.0.1", 0), WEBHOOK_URL)
    warn("forwarding mail to {}".format(WEBHOOK_URL))  # noqa: UP032
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()
