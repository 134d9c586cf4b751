# Shape: an inbound-mail store: __init__(*args, **kwargs) reading its own settings
# (connection_string, session, logger, msg_ttl) out of kwargs and popping them before
# smtpd.SMTPServer.__init__(self, *args, **kwargs); a 4-argument process_message (default
# decode_data) that adds a row through an ORM-like session, commits, retries on error.
import asyncore
import smtpd
import sys
import traceback

from _record import record


class Session:
    """Stands in for the SQLAlchemy scoped session."""

    def __init__(self):
        self.rows, self.pending = [], []

    def add(self, row):
        self.pending.append(row)

    def commit(self):
        self.rows.extend(self.pending)
        self.pending = []

    def rollback(self):
        self.pending = []


class Logger:
    def send_error(self, text):
        print("ERROR", text, file=sys.stderr)


class SimpleMailServer(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        self._message_retry_count = 0
        self._conn_str = kwargs["connection_string"]
        self._session = kwargs["session"]
        self._logger = kwargs["logger"]
        self._message_ttl = kwargs.get("msg_ttl", 9999999999)
        kwargs.pop("session", None)
        kwargs.pop("logger", None)
        kwargs.pop("msg_ttl", None)
        kwargs.pop("connection_string", None)
        smtpd.SMTPServer.__init__(self, *args, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        try:
            self._session.add(
                {
                    "source": str(peer[0]),
                    "sender": str(mailfrom),
                    "recipients": str(rcpttos),
                    "body": str(data),
                }
            )
            self._session.commit()
            self._message_retry_count = 0
        except Exception:
            self._session.rollback()
            self._message_retry_count += 1
            if self._message_retry_count > 4:
                self._logger.send_error(traceback.format_exc())
            if self._message_retry_count > 5:
                raise
            self.process_message(peer, mailfrom, rcpttos, data)


if __name__ == "__main__":
    session = Session()
    server = SimpleMailServer(
        ("127.0.0.1", 0), None, connection_string="sqlite://", session=session, logger=Logger()
    )
    print("mail store listening")
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        for row in session.rows:
            print(row["sender"], row["recipients"])
