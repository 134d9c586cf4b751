# A mail catcher for a test suite: the main thread opens an sqlite3 database, every
# message is stored from process_message, and Ctrl+C prints what was stored. sqlite3
# objects work only on the thread that made them: the loop's thread here.
import asyncore
import sqlite3
import threading
from smtpd import SMTPServer

from _record import record

database = sqlite3.connect(":memory:")
database.execute("CREATE TABLE mail (sender TEXT, recipients TEXT, size INTEGER)")
MAIN_THREAD = threading.get_ident()


class CatchingServer(SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        database.execute(
            "INSERT INTO mail VALUES (?, ?, ?)", (mailfrom, ",".join(rcpttos), len(data))
        )
        print("on the main thread:", threading.get_ident() == MAIN_THREAD)


catcher = CatchingServer(("127.0.0.1", 0), None)
print(catcher.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    for row in database.execute("SELECT sender, recipients, size FROM mail"):
        print(*row)
