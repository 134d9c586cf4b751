# Shape: a developer mail catcher's smtp module (maildump style): a module logger, class
# SMTPServer(smtpd.SMTPServer) whose __init__(listener, handler) calls super() with
# remoteaddr None and keeps the handler; a **kwargs process_message that returns
# self._handler(sender=mailfrom, recipients=rcpttos, body=data); a module-level
# smtp_handler that parses the body with BytesParser().parsebytes, logs "Received message
# from '<From header or sender>' (<n> bytes)" and stores it through db.add_message()
# (an in-memory sqlite database here); start() builds the server with smtp_handler and
# the caller loops with asyncore.loop(timeout=0.5) in try/finally that disconnects the
# database. (logbook is replaced by logging at INFO to stderr.)
import asyncore
import logging
import smtpd
import sqlite3
from email.parser import BytesParser

from _record import record

logging.basicConfig(format="%(name)s %(levelname)s: %(message)s", level=logging.INFO)
log = logging.getLogger("maildump.smtp")


class db:  # the project's maildump.db module
    _conn = None

    @classmethod
    def connect(cls, path):
        cls._conn = sqlite3.connect(path)
        cls._conn.execute(
            "CREATE TABLE IF NOT EXISTS message (sender TEXT, recipients TEXT, "
            "subject TEXT, size INTEGER)"
        )

    @classmethod
    def add_message(cls, sender, recipients, body, message):
        cls._conn.execute(
            "INSERT INTO message VALUES (?, ?, ?, ?)",
            (sender, ", ".join(recipients), message["subject"], len(body)),
        )
        cls._conn.commit()

    @classmethod
    def disconnect(cls):
        rows = cls._conn.execute("SELECT COUNT(*) FROM message").fetchone()[0]
        cls._conn.close()
        log.info("database closed with %d messages", rows)


class SMTPServer(smtpd.SMTPServer):
    def __init__(self, listener, handler):
        super().__init__(listener, None)
        self._handler = handler

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        return self._handler(sender=mailfrom, recipients=rcpttos, body=data)


def smtp_handler(sender, recipients, body):
    message = BytesParser().parsebytes(body)
    log.info("Received message from '{}' ({} bytes)".format(message["from"] or sender, len(body)))
    db.add_message(sender, recipients, body, message)


def start(host, port):
    return SMTPServer((host, port), smtp_handler)


if __name__ == "__main__":
    db.connect(":memory:")
    server = start("127.0.0.1", 0)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop(timeout=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        db.disconnect()
