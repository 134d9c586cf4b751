# Shape: a Django mail-catcher app's SMTP server: Lurker(smtpd.SMTPServer) with class
# attributes INSTANCE/THREAD/CLEANER and a class-level `enable_SMTPUTF8 = True` (which
# SMTPServer.__init__ overwrites on the instance); process_message(**kwargs) raises on
# empty data, parses with Parser().parsestr(data) (data is bytes: that raises TypeError
# on every message), would store the message and its parts in one transaction and log
# "Saved email from 'host:port'"; @staticmethod helpers for addresses and =?UTF-8?B?
# subjects; a @staticmethod start(test, threaded, cleaner) that builds the singleton
# into Lurker.INSTANCE (optionally a loop Thread and an hourly cleaner Timer) and logs
# "Started listening"; the management command calls Lurker.start() then
# try: asyncore.loop() except KeyboardInterrupt: exit(). (Django's settings, models and
# transaction are small local stand-ins; the port is 0.)
import asyncore
import base64
import contextlib
import email
import email.utils
import logging
import smtpd
import sys
import threading
from email.parser import Parser
from time import sleep

from _record import record

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
logger = logging.getLogger("apps.core.smtpd")


class settings:
    SMTPD_ADDRESS = "127.0.0.1"
    SMTPD_PORT = 0
    DEBUG = True


class transaction:
    atomic = contextlib.nullcontext


class Message:
    """Stands in for the app's Message model."""

    objects = []

    def __init__(self, **fields):
        self.__dict__.update(fields)
        self.parts = []

    @classmethod
    def create(cls, **fields):
        message = cls(**fields)
        cls.objects.append(message)
        return message


class Lurker(smtpd.SMTPServer):
    INSTANCE = None
    THREAD = None
    CLEANER = None

    enable_SMTPUTF8 = True

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        """Process and save message"""
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if not data:
            raise Exception("No content given!")

        parser = Parser()
        msg = parser.parsestr(data)
        sender = self.parse_address(msg.get("From"))

        with transaction.atomic():
            message = Message.create(
                peer=peer[0],
                port=peer[1],
                headers=dict(msg.items()),
                sender_name=sender[0],
                sender_address=sender[1],
                recipients_to=self.parse_addresses(msg.get_all("To", [])),
                subject=Lurker.clean_international_string(msg.get("Subject")),
                source=data,
                size=len(data),
            )
            for part in msg.walk():
                message.parts.append(part.get_content_type())

        logger.info(
            "Saved email from '{}:{}' with {} parts.".format(  # noqa: UP032
                message.peer, message.port, len(message.parts)
            )
        )
        return

    @staticmethod
    def clean():
        logger.info("Cleanup deleted '0' old messages.")
        Lurker.CLEANER = threading.Timer(3600, Lurker.clean)
        Lurker.CLEANER.start()

    @staticmethod
    def clean_international_string(entry):
        prefix = "=?UTF-8?B?"
        suffix = "?="
        if prefix in entry and suffix in entry:
            middle = entry[len(prefix):len(entry) - len(suffix)]
            decoded = base64.b64decode(middle)
            return decoded.decode("utf-8")
        return entry

    @staticmethod
    def parse_addresses(raw):
        if type(raw) is not list:
            raw = [raw]
        addresses = list()
        for entry in raw:
            addresses.append(Lurker.clean_international_string(entry))
        return email.utils.getaddresses(addresses)

    @staticmethod
    def parse_address(raw):
        return list(email.utils.parseaddr(Lurker.clean_international_string(raw)))

    @staticmethod
    def start(test=False, threaded=False, cleaner=False):
        """Start SMTP catcher."""
        if Lurker.INSTANCE:
            return
        Lurker.INSTANCE = Lurker((settings.SMTPD_ADDRESS, settings.SMTPD_PORT), None)
        print(Lurker.INSTANCE.socket.getsockname()[1], flush=True)
        if cleaner:
            Lurker.CLEANER = threading.Timer(3600, Lurker.clean)
            Lurker.CLEANER.start()
        if threaded:
            Lurker.THREAD = threading.Thread(target=asyncore.loop, kwargs={"timeout": 1})
            Lurker.THREAD.start()
            # Sleep to make sure our Lurker instance is ready.
            sleep(2)
        logger.info(
            "Started listening on {}:{}".format(  # noqa: UP032
                settings.SMTPD_ADDRESS, settings.SMTPD_PORT
            )
        )
        if cleaner:
            logger.info("Scheduled cleaner task in background.")

    @staticmethod
    def stop():
        Lurker.INSTANCE.close()
        if Lurker.CLEANER:
            Lurker.CLEANER.cancel()
        if Lurker.THREAD:
            Lurker.THREAD.join()


class Command:
    help = "Start the SMTP Lurking server."

    def handle(self, *args, **options):
        Lurker.start()
        try:
            asyncore.loop()
        except KeyboardInterrupt:
            exit()


if __name__ == "__main__":
    Command().handle()
