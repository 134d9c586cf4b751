# Shape: a grading system's mock mail server for its tests: a module logger with a
# DEBUG FileHandler and an ERROR StreamHandler, MySMTPD(port, directory) subclassing
# DebuggingServer and calling its __init__ by name (decode_data=True only when
# sys.version_info[1] == 6), a **kwargs process_message writing each mail to
# <user><n>.txt (From line, Subject, decoded body) after message_from_string(data);
# signal handlers for SIGINT/SIGTERM/SIGHUP that sys.exit(0); main() from argv and a bare
# loop. (Here: port and directory default when not given; the log lines carry no time.)
import asyncore
import email
import logging
import os
import signal
import smtpd
import sys

from _record import record

logger = logging.getLogger("my_smtp")
logger.setLevel(logging.DEBUG)
fh = logging.FileHandler("mail.log")
fh.setLevel(logging.DEBUG)

ch = logging.StreamHandler()
ch.setLevel(logging.ERROR)

formatter = logging.Formatter("%(name)s - %(levelname)s - %(message)s")
fh.setFormatter(formatter)
ch.setFormatter(formatter)

logger.addHandler(fh)
logger.addHandler(ch)


class MySMTPD(smtpd.DebuggingServer):
    """
    A mock email server that traps email in files: one file per mail, named after the
    user and a counter starting at 1 (alice1.txt).
    """

    def __init__(self, port, directory):
        logger.info("Initializing server")

        if sys.version_info[1] == 6:
            smtpd.DebuggingServer.__init__(self, ("127.0.0.1", port), None, decode_data=True)
        else:
            smtpd.DebuggingServer.__init__(self, ("127.0.0.1", port), None)
        self.directory = directory

        self.users = {}

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        """Save one message to the first recipient's next file."""
        record(peer, mailfrom, rcpttos, data, **kwargs)
        logger.info("Processing message from %s to %s", mailfrom, rcpttos)
        # only one user is ever mailed at a time; keep the local part for the name
        user = rcpttos[0].split("@")[0]

        if user not in self.users:
            self.users[user] = 1

        filename = user + str(self.users[user])

        self.users[user] += 1

        with open(self.directory + "/" + filename + ".txt", "w") as f:
            logger.info("Processing message")

            msg = email.message_from_string(data)

            f.write("From: " + mailfrom + "\n")
            f.write(msg["Subject"] + "\n\n")

            if msg.is_multipart():
                for payload in msg.get_payload():
                    f.write(payload.get_payload(decode=True).decode("utf-8"))
            else:
                f.write(msg.get_payload(decode=True).decode("utf-8"))

            logger.info("Done processing email")


def establish_signals():
    """Every signal handler simply exits."""

    def signal_handler(signum, frame):
        sys.exit(0)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal_handler)


def main():
    port, directory = (int(sys.argv[1]), sys.argv[2]) if len(sys.argv) == 3 else (0, "email")
    os.makedirs(directory, exist_ok=True)

    establish_signals()

    server = MySMTPD(port, directory)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()


main()
