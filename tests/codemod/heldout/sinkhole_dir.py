# Shape: a malware sandbox's SMTP sinkhole: a class attribute for the mail directory set
# from argparse, a 4-argument process_message with decode_data=True writing each message
# to a file named by a counter, asyncore.loop in a main guard.
import argparse
import asyncore
import os
from smtpd import SMTPServer

from _record import record


class SmtpSink(SMTPServer):
    mail_dir = None
    counter = 0

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        if self.mail_dir:
            SmtpSink.counter += 1
            path = os.path.join(self.mail_dir, "mail-%03d.eml" % self.counter)
            with open(path, "w") as handle:
                handle.write(data)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default="sunk")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    SmtpSink.mail_dir = args.dir
    sink = SmtpSink(("127.0.0.1", 0), None, decode_data=True)
    print(sink.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass
