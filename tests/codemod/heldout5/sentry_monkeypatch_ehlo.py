# Shape: an error tracker's inbound-mail service: a module-level function smtp_EHLO (written
# for Python 2, reading and setting the name-mangled self._SMTPChannel__greeting and
# self._SMTPChannel__fqdn) assigned onto the stdlib class itself, SMTPChannel.smtp_EHLO =
# smtp_EHLO, so every channel answers EHLO with one line; a STATUS dict of replies
# ("200 Ok" for success, 550, 552); SentrySMTPServer(Service, SMTPServer) whose __init__
# never calls SMTPServer.__init__ (settings-style host/port), a class-level
# max_message_length, a 4-argument process_message (raw_message; default decode_data); run()
# calls SMTPServer.__init__ late, then try: asyncore.loop() except KeyboardInterrupt: pass.
import asyncore
import email
import logging
import sys
from smtpd import SMTPChannel, SMTPServer

from _record import record

logger = logging.getLogger(__name__)


# HACK: SMTPChannel doesn't support an EHLO response, but the proxy in front requires an
# EHLO, so this is backported somewhat.
def smtp_EHLO(self, arg):
    if not arg:
        self.push("501 Syntax: EHLO hostname")
        return
    if self._SMTPChannel__greeting:
        self.push("503 Duplicate HELO/EHLO")
    else:
        self._SMTPChannel__greeting = arg
        self.push("250 %s" % self._SMTPChannel__fqdn)


SMTPChannel.smtp_EHLO = smtp_EHLO

STATUS = {200: "200 Ok", 550: "550 Not found", 552: "552 Message too long"}


class settings:
    SENTRY_SMTP_HOST = "127.0.0.1"
    SENTRY_SMTP_PORT = 0


class Service:
    name = "service"

    def __init__(self, debug=False):
        self.debug = debug


def email_to_group_id(address):
    local = address.split("@", 1)[0]
    if not local.startswith("group-"):
        raise ValueError(address)
    return int(local[len("group-"):])


class SentrySMTPServer(Service, SMTPServer):
    name = "smtp"
    max_message_length = 20000  # This might be too conservative

    def __init__(self, host=None, port=None, debug=False, workers=None):
        self.host = host or getattr(settings, "SENTRY_SMTP_HOST", "0.0.0.0")
        self.port = port or getattr(settings, "SENTRY_SMTP_PORT", 1025)

    def process_message(self, peer, mailfrom, rcpttos, raw_message):
        record(peer, mailfrom, rcpttos, raw_message)
        logger.info("Incoming message received from %s", mailfrom)
        if not len(rcpttos):
            logger.info("Incoming email had no recipients. Ignoring.")
            return STATUS[550]

        if len(raw_message) > self.max_message_length:
            logger.info("Inbound email message was too long: %d", len(raw_message))
            return STATUS[552]

        try:
            group_id = email_to_group_id(rcpttos[0])
        except Exception:
            logger.info("%r is not a valid email address", rcpttos)
            return STATUS[550]

        message = email.message_from_string(raw_message)
        payload = message.get_payload()
        if not payload:
            return STATUS[200]
        logger.info("queued reply for group %d", group_id)
        return STATUS[200]

    def run(self):
        SMTPServer.__init__(self, (self.host, self.port), None)
        print(self.socket.getsockname()[1], flush=True)
        try:
            asyncore.loop()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")
    SentrySMTPServer().run()
