# Shape: a security group's disposable-mail service: config.json read at import from the
# install path (exit with "No config file found" when missing), a database object made
# at import, logging.basicConfig(filename=config["log_path"], level=ERROR), and
# EmlServer(SMTPServer) (`from smtpd import SMTPServer`) whose process_message spells out
# mail_options=None, rcpt_options=None and, in a try/except Exception that only prints
# the error, formats the decoded data into a mail record with the project's
# Mail.formate_email and inserts it; run() builds the server on ('0.0.0.0', 25) unkept
# and runs asyncore.loop() in try/except KeyboardInterrupt: pass. (The install script's
# config.json is written next to the program first; Mail and the database are small
# local stand-ins writing a text file; the server is kept to print its port; 127.0.0.1
# port 0.)
import asyncore
import json
import logging
import os
from json import loads
from smtpd import SMTPServer

from _record import record

CONFIG_PATH = "config.json"
if not os.path.exists(CONFIG_PATH):
    with open(CONFIG_PATH, "w") as f:
        json.dump({"log_path": "tempmail.log", "db_path": "mailbox.txt"}, f)


class Mail:
    @staticmethod
    def formate_email(text):
        headers, _, body = text.partition("\n\n")
        record = {"body": body}
        for line in headers.split("\n"):
            key, _, value = line.partition(": ")
            record[key.lower()] = value
        if "subject" not in record:
            raise ValueError("mail without a subject")
        return record


class db:
    def __init__(self):
        self.path = config["db_path"]

    def insert(self, email):
        with open(self.path, "a") as f:
            f.write("%s | %s\n" % (email["subject"], email["body"].replace("\n", " / ")))


config = {}
try:
    with open(CONFIG_PATH, "r") as config:  # noqa: UP015
        config = loads(config.read())
except Exception:
    print("No config file found. Please create a config.json file.")
    exit()

database = db()
logging.basicConfig(
    filename=config["log_path"],
    level=logging.ERROR,
    format="%(levelname)s:%(message)s")


class EmlServer(SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options,
               rcpt_options=rcpt_options)
        try:
            Email = Mail.formate_email(data.decode("utf-8"))
            database.insert(Email)
        except Exception as e:
            print(e)


def run():
    # start the smtp server on localhost:1025
    foo = EmlServer(("127.0.0.1", 0), None)
    print(foo.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    run()
