# Shape: a mail-ingest service: OmnomnomSMTPServer(hostname, port, conf) with
# super(Cls, self).__init__((hostname, port), None), a 4-argument process_message
# (default decode_data) printing Peer/Mailfrom/Rcpttos then parsing and handing the
# message to a processor object; argparse options and the loop in main().
import argparse
import asyncore
import email
from smtpd import SMTPServer

from _record import record


class EmailProcessor:
    def __init__(self, conf):
        self.conf = conf

    def process(self, mailfrom, rcpttos, message):
        print("processing", message["Subject"], "for", self.conf["db"])


class OmnomnomSMTPServer(SMTPServer):
    def __init__(self, hostname, port, conf):
        super(OmnomnomSMTPServer, self).__init__((hostname, port), None)  # noqa: UP008
        self.conf = conf

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        print("Peer", peer[0])
        print("Mailfrom", mailfrom)
        print("Rcpttos", rcpttos)
        message = email.message_from_string(data)
        EmailProcessor(self.conf).process(mailfrom, rcpttos, message)


def main():
    parser = argparse.ArgumentParser(description="omnomnom mail server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--db", default="sqlite:///omnomnom.db")
    args = parser.parse_args()
    server = OmnomnomSMTPServer(args.host, args.port, {"db": args.db})
    print("omnomnom listening on", args.host)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("bye")


if __name__ == "__main__":
    main()
