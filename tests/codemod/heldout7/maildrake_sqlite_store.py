# Shape: a development mail server with a web viewer: a module logger, SMTPServer(
# smtpd.SMTPServer) (same name as the base) with a docstring, whose __init__(localaddr,
# remoteaddr=None, *args, **kwargs) sets kwargs['decode_data'] = True unless given and
# calls super().__init__(localaddr, remoteaddr, *args, **kwargs), then asks the store
# for its database path and logs "SMTP server listening on <addr>" with str.format;
# process_message(**kwargs) logs the peer, opens a sqlite3 connection per message,
# parses the data with email.message_from_string(_class=the project's Message class,
# which has a message_id property), logs it and inserts it in a `with connection:`
# block. The service entry point configures logging, builds the server from an
# argparse address and runs asyncore.loop() until Ctrl+C. (The store module is inlined
# as a few functions, its database in a temporary directory standing in for the user's
# data directory; the peer is logged without its port; 127.0.0.1 port 0.)
import argparse
import asyncore
import email
import email.message
import logging
import smtpd
import sqlite3
import sys
import tempfile

from _record import record

logger = logging.getLogger("maildrake.smtp")

DATA_DIR = tempfile.TemporaryDirectory(prefix="maildrake-")
DATABASE_FILE = DATA_DIR.name + "/maildrake.sqlite"
SCHEMA = """
    CREATE TABLE IF NOT EXISTS message (
        message_id TEXT,
        sender TEXT,
        subject TEXT,
        body TEXT
    )
"""


class Message(email.message.Message):
    """ An email message with Mail Drake conveniences. """

    @property
    def message_id(self):
        return self["Message-ID"]


def get_database_file_path():
    return DATABASE_FILE


def connect(path):
    connection = sqlite3.connect(path)
    connection.execute(SCHEMA)
    return connection


def create_message(connection, message):
    connection.execute(
        "INSERT INTO message VALUES (?, ?, ?, ?)",
        (message.message_id, message["From"], message["Subject"], message.get_payload()))


def dump_messages(path):
    connection = connect(path)
    for row in connection.execute("SELECT subject, body FROM message ORDER BY rowid"):
        print("stored:", row)
    connection.close()


class SMTPServer(smtpd.SMTPServer):
    """
    Server for SMTP requests.

    The server receives messages on the specified local address, but
    does not pass them on further.

    """

    def __init__(self, localaddr, remoteaddr=None, *args, **kwargs):
        if "decode_data" not in kwargs:
            kwargs["decode_data"] = True
        super().__init__(localaddr, remoteaddr, *args, **kwargs)

        path = get_database_file_path()
        self._database_file_path = path

        logger.info(
                "SMTP server listening on {addr}".format(  # noqa: UP032
                    addr=localaddr[0]))

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        """ Process an incoming message from the client `peer`. """
        record(peer, mailfrom, rcpttos, data, **kwargs)
        logger.info(
                "SMTP connection from {peer}".format(peer=peer[0]))  # noqa: UP032
        connection = connect(self._database_file_path)
        message = email.message_from_string(
                data,
                _class=Message)
        logger.info(
                "Received message {id}".format(id=message.message_id))  # noqa: UP032
        with connection:
            create_message(connection, message)
        connection.close()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="maildrake-smtp")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(name)s: %(levelname)s: %(message)s")
    server = SMTPServer((args.host, args.port))
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        logger.info("SMTP server stopped")
    dump_messages(DATABASE_FILE)


if __name__ == "__main__":
    main(sys.argv[1:])
