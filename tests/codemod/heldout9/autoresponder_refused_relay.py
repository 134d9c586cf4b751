# Shape: a vacation auto-responder: AutoResponder(smtpd.SMTPServer) whose __init__(localaddr,
# relay) passes relay as remoteaddr to the base by name; a **kwargs process_message that
# parses the message (message_from_bytes), skips mail that is itself an auto-reply or from
# a no-reply address, and sends "Re: <subject>" back to the sender through
# smtplib.SMTP(*self._remoteaddr), catching the connection error and logging it (the
# relay is down here: a closed port on 127.0.0.1); logging to stderr; a SIGTERM handler
# that raises SystemExit; the loop is a bare asyncore.loop() (Ctrl+C ends it with a
# traceback).
import asyncore
import email
import logging
import signal
import smtpd
import smtplib
import socket
import sys
from email.mime.text import MIMEText

from _record import record

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")
log = logging.getLogger("autoresponder")

AWAY_TEXT = "I am away until Monday and will read your mail when I am back."


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class AutoResponder(smtpd.SMTPServer):
    def __init__(self, localaddr, relay):
        smtpd.SMTPServer.__init__(self, localaddr, relay)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        msg = email.message_from_bytes(data)
        if msg.get("Auto-Submitted") or mailfrom.startswith("no-reply"):
            log.info("not answering %s", mailfrom)
            return
        reply = MIMEText(AWAY_TEXT)
        reply["Subject"] = "Re: " + (msg.get("Subject") or "")
        reply["From"] = rcpttos[0]
        reply["To"] = mailfrom
        reply["Auto-Submitted"] = "auto-replied"
        try:
            relay = smtplib.SMTP(*self._remoteaddr)
            relay.sendmail(rcpttos[0], [mailfrom], reply.as_string())
            relay.quit()
            log.info("answered %s", mailfrom)
        except (OSError, smtplib.SMTPException) as e:
            log.error("could not answer %s: %s", mailfrom, e.__class__.__name__)


def on_term(signum, frame):
    sys.exit(0)


signal.signal(signal.SIGTERM, on_term)
server = AutoResponder(("127.0.0.1", 0), ("127.0.0.1", closed_port()))
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
