# A test suite's mail catcher that polls the loop from its main thread: the database is
# opened there, every message is stored from process_message, and the loop runs one pass
# at a time (count=1) until SIGINT clears its flag; then it prints what was stored.
# sqlite3 objects work only on the thread that made them: the polling thread here.
import asyncore
import signal
import smtpd
import sqlite3
import threading

from _record import record

running = True
database = sqlite3.connect(":memory:")
database.execute("CREATE TABLE mail (sender TEXT, size INTEGER)")
POLLING_THREAD = threading.get_ident()


def interrupted(signum, frame):
    global running
    running = False


class StoringSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        database.execute("INSERT INTO mail VALUES (?, ?)", (mailfrom, len(data)))
        print("on the polling thread:", threading.get_ident() == POLLING_THREAD, flush=True)


signal.signal(signal.SIGINT, interrupted)
sink = StoringSink(("127.0.0.1", 0), None)
print(sink.socket.getsockname()[1], flush=True)
while running:
    asyncore.loop(timeout=0.05, count=1)
sink.close()
for row in database.execute("SELECT sender, size FROM mail"):
    print(*row)
