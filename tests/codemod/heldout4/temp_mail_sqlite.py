# Shape: a temporary-mail web service's SMTP side: TempMailServer imported by name
# (from smtpd import SMTPServer), a **kwargs process_message printing the PyMOTW lines,
# saving a MailModel (sender, recipients, raw bytes) to an SQLite table and printing every
# stored mail as JSON after each message; the service module runs a bare loop (here the
# database is in memory rather than the app's file).
import asyncore
import json
import sqlite3
from smtpd import SMTPServer

from _record import record

connection = sqlite3.connect(":memory:")
connection.execute(
    "CREATE TABLE mails (id INTEGER PRIMARY KEY, mailfrom TEXT, rcpttos TEXT, data BLOB)"
)


class MailModel:
    def __init__(self, mailfrom, rcpttos, data, _id=None):
        self.id = _id
        self.mailfrom = mailfrom
        self.rcpttos = rcpttos
        self.data = data

    def json(self):
        return {
            "id": self.id,
            "from": self.mailfrom,
            "to": self.rcpttos,
            "body": self.data.decode("utf-8", "replace"),
        }

    def save_to_db(self):
        cursor = connection.execute(
            "INSERT INTO mails (mailfrom, rcpttos, data) VALUES (?, ?, ?)",
            (self.mailfrom, ",".join(self.rcpttos), self.data),
        )
        connection.commit()
        self.id = cursor.lastrowid

    @classmethod
    def fetch_all(cls):
        rows = connection.execute("SELECT id, mailfrom, rcpttos, data FROM mails ORDER BY id")
        return [cls(row[1], row[2].split(","), row[3], _id=row[0]) for row in rows]


class TempMailServer(SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("Receiving message from:", peer[0])
        print("Message addressed from:", mailfrom)
        print("Message addressed to:", rcpttos)
        print("Message length:", len(data))
        message = MailModel(mailfrom, rcpttos, data)
        message.save_to_db()
        all_mails = MailModel.fetch_all()
        print(*[json.dumps(mail.json()) for mail in all_mails], sep="\n")


if __name__ == "__main__":
    server = TempMailServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()
