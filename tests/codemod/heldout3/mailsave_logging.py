# Shape: a "save mail to files" tool's server mode: MailSaveServer(host, port, dir)
# calling logging.basicConfig(level=INFO) in __init__ before super().__init__((host,
# port), None), a "Listening" log line, a **kwargs process_message logging sender and
# peer and handing the bytes to a save(data, folder) helper writing numbered .eml files.
import asyncore
import itertools
import logging
import os
from smtpd import SMTPServer

from _record import record

_numbers = itertools.count(1)


def save(data, folder="."):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "mail-%d.eml" % next(_numbers))
    with open(path, "wb") as f:
        f.write(data)
    return path


class MailSaveServer(SMTPServer):
    def __init__(self, host, port, dir):
        logging.basicConfig(level=logging.INFO)
        super().__init__((host, port), None)
        self.dir = dir
        logging.info("Listening for mail on {}:{}".format(host, port))  # noqa: UP032

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        logging.info(
            "Received mail from address {} from peer {}".format(mailfrom, peer[0])  # noqa: UP032
        )
        save(data, folder=self.dir)


def main():
    server = MailSaveServer("127.0.0.1", 0, "mails")
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
