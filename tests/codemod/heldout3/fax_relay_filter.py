# Shape: a mail-to-fax relay script: module constants for permitted sender and
# recipient domains, logging.basicConfig to a log file, a **kwargs process_message
# looping over recipients: senders not permitted and non-10-digit recipients are
# logged and discarded (still 250), the others rewritten to the fax server's
# IMCEAFAX address and relayed (here written to an outbox file, not smtplib);
# a module-level server and a bare asyncore.loop().
import asyncore
import logging
import re
import smtpd

from _record import record

# Modifiable Variables
PERMITTED_SENDERS = ["example.com"]
PERMITTED_RECIPIENT_DOMAINS = ["example.com"]
FAX_SERVER = "192.0.2.1"
LOG_FILE = "faxrelay.log"

# Do not modify anything below

logging.basicConfig(filename=LOG_FILE, level=logging.INFO, format="%(message)s")


def relay(mailfrom, relay_recipient, data):
    # The real script: smtplib.SMTP(FAX_SERVER).sendmail(mailfrom, relay_recipient, data)
    with open("outbox.txt", "ab") as outbox:
        outbox.write(("%s -> %s via %s\n" % (mailfrom, relay_recipient, FAX_SERVER)).encode())
        outbox.write(data + b"\n")


class CustomSMTPServer(smtpd.SMTPServer):
    """SMTP relay with sender and recipient parsing, message formatting and
    forwarding to the destination fax server."""

    logging.info("Fax relay server enabled. Listening for incoming emails.")

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        logging.info(
            "Received message from %s, to %s, with message length %s.", mailfrom, rcpttos, len(data)
        )
        for recipient in rcpttos:
            sender = mailfrom.split("@")[1].lower()
            recipient_name = recipient.split("@")[0]
            recipient_domain = recipient.split("@")[1].lower()
            if sender not in PERMITTED_SENDERS:
                logging.info("Sender %s is not permitted. Message discarded.", mailfrom)
            elif re.match("^[0-9]{10,10}$", recipient_name) is None:
                logging.info(
                    "Sender %s is trying to send to non 10-digit destination %s. "
                    "Message discarded.",
                    mailfrom,
                    recipient,
                )
            elif recipient_domain in PERMITTED_RECIPIENT_DOMAINS:
                relay_recipient = "IMCEAFAX-%s@%s" % (recipient_name, recipient_domain)
                logging.info(
                    "Sending message from %s to %s at %s.", mailfrom, relay_recipient, FAX_SERVER
                )
                relay(mailfrom, relay_recipient, data)
            else:
                logging.info(
                    "Unknown error with message from %s to %s. Message discarded.",
                    mailfrom,
                    recipient,
                )


SERVER = CustomSMTPServer(("127.0.0.1", 0), None)
print(SERVER.socket.getsockname()[1], flush=True)
asyncore.loop()
