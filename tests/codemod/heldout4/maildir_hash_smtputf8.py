# Shape: a local mail-to-Maildir receiver: a class that shadows the name SMTPServer,
# __init__(port, path) calling super().__init__(('127.0.0.1', port), None,
# enable_SMTPUTF8=True) and creating cur/new/tmp; a **kwargs process_message parsing the
# bytes with message_from_bytes, deleting Message-ID, naming the file by the SHA-256 of
# the rest, writing it to tmp/ and renaming it into new/; a bare loop.
import asyncore
import hashlib
import os
import smtpd
from email import message_from_bytes

from _record import record


class SMTPServer(smtpd.SMTPServer):
    def __init__(self, port, path):
        super().__init__(("127.0.0.1", port), None, enable_SMTPUTF8=True)
        self.path = path

        os.makedirs(os.path.join(path, "cur"), exist_ok=True)
        os.makedirs(os.path.join(path, "new"), exist_ok=True)
        os.makedirs(os.path.join(path, "tmp"), exist_ok=True)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        msg = message_from_bytes(data)
        del msg["Message-ID"]
        data = msg.as_bytes()
        name = hashlib.sha256(data).hexdigest()
        tmp = os.path.join(self.path, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.path, "new", name))
        print("delivered", name[:12])


if __name__ == "__main__":
    server = SMTPServer(0, "Maildir")
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()
