# Shape: a classwork "simple SMTP server": EmlServer with a class attribute counter,
# constructed with a real-looking remoteaddr tuple, map=None and decode_data=True; each
# message written (sender, recipients, data) to a numbered text file with f.close
# missing its parentheses; run in main() with Ctrl+C passed over.
import asyncore
from smtpd import SMTPServer

from _record import record


class EmlServer(SMTPServer):
    no = 0

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        filename = "mail-%d.txt" % self.no
        f = open(filename, "w")  # noqa: SIM115
        f.write(mailfrom + "\n")
        for address in rcpttos:
            f.write(address + "\n")
        f.write(data)
        f.close  # noqa: B018
        print("%s saved." % filename)
        self.no += 1


def main():
    foo = EmlServer(("127.0.0.1", 0), ("localhost", 1025), map=None, decode_data=True)
    print(foo.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
