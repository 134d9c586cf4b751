# Shape: a disposable-inbox mail server: a 4-argument process_message (decode_data=True)
# with parseaddr, logger.debug lines, email.message_from_string, text parts collected,
# recipients checked with a regex and a DOMAINS list, one JSON file per recipient under
# data/<address>/; logging to a StreamHandler configured in __main__.
import asyncore
import email
import json
import logging
import os
import re
import smtpd
from email.header import decode_header
from email.utils import parseaddr

from _record import record

logger = logging.getLogger(__name__)

DISCARD_UNKNOWN = True
DOMAINS = ["example.com", "*.example.org"]
COUNTER = [0]


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        try:
            mailfrom = parseaddr(mailfrom)[1]
            logger.debug("Receiving message from: %s" % peer[0])
            logger.debug("Message addressed from: %s" % mailfrom)
            logger.debug("Message addressed to: %s" % str(rcpttos))
            msg = email.message_from_string(data)
            subject = ""
            for encoded_string, charset in decode_header(msg.get("Subject")):
                if charset is not None:
                    subject += encoded_string.decode(charset)
                elif isinstance(encoded_string, bytes):
                    subject += encoded_string.decode()
                else:
                    subject += encoded_string
            logger.debug("Subject: %s" % subject)
            text_parts = []
            for part in msg.walk():
                if part.get_content_maintype() == "multipart":
                    continue
                if part.get_content_type() == "text/plain":
                    text_parts.append(part.get_payload().strip())
            body = "\n".join(text_parts)
        except Exception:
            logger.exception("Error reading incoming email")
        else:
            edata = {"subject": subject, "body": body, "from": mailfrom, "attachments": []}
            savedata = {
                "sender_ip": peer[0],
                "from": mailfrom,
                "rcpts": rcpttos,
                "raw": data,
                "parsed": edata,
            }
            COUNTER[0] += 1
            filenamebase = str(COUNTER[0])
            for em in rcpttos:
                em = em.lower()
                if not re.match(r"[^@\s]+@[^@\s]+\.[a-zA-Z0-9]+$", em):
                    logger.error("Invalid recipient: %s" % em)
                    continue
                domain = em.split("@")[1]
                found = False
                for x in DOMAINS:
                    if "*" in x and domain.endswith(x.replace("*", "")):
                        found = True
                    elif domain == x:
                        found = True
                if DISCARD_UNKNOWN and not found:
                    logger.info("Discarding email for unknown domain: %s" % domain)
                    continue
                if not os.path.exists("data/" + em):
                    os.makedirs("data/" + em, 0o755)
                with open("data/" + em + "/" + filenamebase + ".json", "w") as outfile:
                    json.dump(savedata, outfile)
        return


if __name__ == "__main__":
    ch = logging.StreamHandler()
    ch.setLevel(logging.DEBUG)
    ch.setFormatter(logging.Formatter("%(name)s - %(levelname)s - %(message)s"))
    logger.setLevel(logging.DEBUG)
    logger.addHandler(ch)
    print("[i] Starting Mailserver")
    server = CustomSMTPServer(("127.0.0.1", 0), None, decode_data=True)
    print(server.socket.getsockname()[1], flush=True)
    print("[i] Ready to receive Emails")
    asyncore.loop()
