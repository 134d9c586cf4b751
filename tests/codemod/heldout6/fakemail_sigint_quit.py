# Shape: a "Fakemail" catcher script: FakeServer(smtpd.SMTPServer) with a class-level
# RECIPIENT_COUNTER dict, __init__(host, port, path, only_log, open_mail) calling the base
# by name, process_message(**kwargs) that decodes and strips the data and writes one
# "<rcpt>.<n>.eml" text file per recipient, logging every step; a FakeMail wrapper that
# configures logging with basicConfig(handlers=[...]), installs SIGINT/SIGTERM/SIGHUP
# handlers whose quit() calls sys.exit() from inside the handler, and start() builds the
# server and runs asyncore.loop() in try/except KeyboardInterrupt. (No asctime in the log
# format here; the port defaults to 0 and is printed once bound.)
import asyncore
import logging
import os
import signal
import smtpd
import socket
import sys
from argparse import SUPPRESS, ArgumentParser

from _record import record

PROG_NAME = "Fakemail"


class FakeServer(smtpd.SMTPServer):
    RECIPIENT_COUNTER = {}

    def __init__(self, host, port, path, only_log, open_mail):
        smtpd.SMTPServer.__init__(self, (host, port), None)
        self.logger = logging.getLogger(f"{PROG_NAME}Server")
        self.path = path
        self.only_log = only_log
        self.open_mail = open_mail

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.logger.info("Incoming mail")
        str_data = data.decode("utf-8").strip()

        for recipient in rcpttos:
            self.logger.info(f"Mail to {recipient}")
            if not self.only_log:
                count = self.RECIPIENT_COUNTER.get(recipient, 0) + 1
                self.RECIPIENT_COUNTER[recipient] = count
                filename = os.path.join(self.path, f"{recipient}.{count}.eml")
                filename = filename.replace("<", "").replace(">", "")
                with open(filename, "w") as email_file:
                    email_file.write(f"{str_data}\n")
                if self.open_mail:
                    self.logger.warning(f'Opening mails on "{sys.platform}" not supported.')
                self.logger.info(f"Mail saved to {filename}")

        self.logger.info(f"\n{str_data}")
        self.logger.info("Incoming mail dispatched")


class FakeMail:
    def __init__(self, host=None, port=None, output_dir=None, only_log=False, open_mail=False):
        self.host = host or "127.0.0.1"
        self.port = port or 0
        self.output_dir = output_dir
        self.only_log = only_log
        self.open_mail = open_mail
        self.configure_logger()
        self.logger = logging.getLogger(PROG_NAME)
        self.server = None
        if not self.output_dir:
            self.output_dir = os.getcwd()
        signal.signal(signal.SIGINT, self.signal_handler)
        signal.signal(signal.SIGTERM, self.signal_handler)
        signal.signal(signal.SIGHUP, self.signal_handler)

    def start(self):
        self.logger.info(f"Starting {PROG_NAME}")
        try:
            self.server = FakeServer(self.host, self.port, self.output_dir, self.only_log,
                                     self.open_mail)
        except socket.error as e:  # noqa: UP024
            self.quit(str(e))
        print(self.server.socket.getsockname()[1], flush=True)
        self.logger.info(f"Listening on {self.host}:{self.port}")
        try:
            asyncore.loop()
        except KeyboardInterrupt:
            self.quit()

    def quit(self, reason=None):
        text = f"Stopping {PROG_NAME}"
        if reason is not None:
            text += f": {reason}"
        self.logger.info(text)
        sys.exit()

    def configure_logger(self):
        handlers = [logging.StreamHandler()]
        logging.basicConfig(
            level=logging.INFO, format="[%(levelname)s] %(name)s: %(message)s", handlers=handlers
        )

    def signal_handler(self, signum, frame):
        self.quit()


def parse_args():
    parser = ArgumentParser(PROG_NAME, add_help=False)
    parser.add_argument("--help", action="help", default=SUPPRESS, help="Show this help")
    parser.add_argument("-h", "--host", default="127.0.0.1", help="SMTP server host")
    parser.add_argument("-p", "--port", default=0, type=int, help="SMTP server port")
    parser.add_argument("-o", "--output", default=None, help="Save mails to files at given path")
    parser.add_argument("-O", "--only-log", action="store_true", help="Do not save mails")
    parser.add_argument("-m", "--open-mail", action="store_true", help="Open mail")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    fakemail = FakeMail(args.host, args.port, args.output, args.only_log, args.open_mail)
    fakemail.start()
