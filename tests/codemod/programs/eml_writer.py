# A mail-to-file sink started from run(): one numbered .eml file per message, a class
# attribute as the counter, Ctrl+C ends it quietly.
import asyncore
import os
import tempfile
from smtpd import SMTPServer

from _record import record

OUTBOX = tempfile.mkdtemp(prefix="eml-")


class EmlWriter(SMTPServer):
    count = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        name = os.path.join(OUTBOX, "%d.eml" % self.count)
        with open(name, "wb") as f:
            f.write(data)
        with open(name, "rb") as f:
            print("saved message", self.count, "of", len(f.read()), "bytes", flush=True)
        self.count += 1
        record(peer, mailfrom, rcpttos, data, **kwargs)


def run():
    writer = EmlWriter(("127.0.0.1", 0), None)
    print(writer.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    run()
