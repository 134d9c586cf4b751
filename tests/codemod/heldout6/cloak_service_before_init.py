# Shape: an e-mail aliasing service's content filter: CloakSMTPServer(smtpd.SMTPServer) whose
# __init__(localaddr, remoteaddr) builds a Config and a Service holding the server's bound
# send_msg method, logs the address, database and FQDN with logging.debug, THEN calls
# smtpd.SMTPServer.__init__ by name and a bare `return`; a 4-argument process_message
# (default decode_data: TypeError on every message under Python 3) that logs the envelope
# with tab-aligned labels, parses with email.message_from_string, falls back to the From
# header for a '<>' sender and dispatches on the recipient (alias request, verification
# forward, plain forward) through the service; send_msg() reinjects with smtplib into the
# MTA's second port; module-level server and a bare asyncore.loop(). (Config, Service and
# the log database are small local stand-ins; root logging is configured at DEBUG on
# stderr, without timestamps.)
import asyncore
import email
import logging
import smtpd
import smtplib
import sys

from _record import record

logging.basicConfig(stream=sys.stderr, level=logging.DEBUG, format="%(levelname)s %(message)s")


class Config:
    DBSRC = "cloak.sqlite"
    DOMAIN = "cloak.example"
    GETALIAS = "getalias@cloak.example"
    LOGLEVEL = logging.DEBUG


class Service:
    def __init__(self, cfg, send_msg):
        self.cfg = cfg
        self.send_msg = send_msg

    def forward(self, mailfrom, rcpttos, msg):
        logging.info("forwarding for %s to %s", mailfrom, rcpttos)
        self.send_msg(mailfrom, rcpttos, msg)

    def dispatch_getalias(self, mailfrom, rcpttos, msg):
        logging.info("alias requested by %s: %s", mailfrom, msg["Subject"])


class CloakSMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        self.cfg = Config()
        self.serv = Service(self.cfg, self.send_msg)

        logging.debug("Local Address\t\t: %s", str(localaddr))
        logging.debug("Database\t\t\t: %s", self.cfg.DBSRC)
        logging.debug("Server FQDN\t\t: %s", self.cfg.DOMAIN)

        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        return

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        logging.debug("#" * 70)
        logging.debug("Received from\t\t: %s", peer[0])
        logging.info("Envelope from\t\t: %s", mailfrom)
        logging.info("Envelope to\t\t: %s", rcpttos)
        logging.info("Message length\t\t: %d", len(data))
        logging.debug("Message Contents:\n%s", data)

        msg = email.message_from_string(data)

        # If the envelope does not have a from address, use the message's from address.
        if mailfrom == "<>":
            mailfrom = msg["From"]

        if len(rcpttos) == 1 and rcpttos[0] == self.cfg.GETALIAS:
            logging.debug("===== CASE 1B OR LS REQUEST =====")
            self.serv.dispatch_getalias(mailfrom, rcpttos, msg)
            return

        logging.debug("===== CASE 2 =====")
        self.serv.forward(mailfrom, rcpttos, msg)
        return

    def send_msg(self, mailfrom, rcpttos, msg):
        if rcpttos == []:
            logging.info("send_msg called with empty rcpttos; skipping.")
            return True
        try:
            server = smtplib.SMTP("127.0.0.1", 9, timeout=5)
        except OSError as e:
            logging.warning("Reinjection failed: %s", e.__class__.__name__)
            return False
        try:
            logging.info("Sending mail...")
            server.sendmail(mailfrom, rcpttos, msg.as_string())
        except smtplib.SMTPRecipientsRefused as e:
            logging.warning("Recipients Refused: %s", e.recipients)
        finally:
            server.quit()
        return True


server = CloakSMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
