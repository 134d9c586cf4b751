# Shape: a GnuPG mailing-list distribution centre: the SMTP *server* class is named
# SMTPChannel (subclassing smtpd.SMTPServer) and its process_message(**kwargs) re-sends the
# message to every member of the list it was addressed to (550 for an unknown list);
# GnuPGSMTP(object) keeps the address in name-mangled class attributes (__LOCAL_HOST_ADDR,
# __LOCAL_PORT), start() installs a SIGTERM handler (a mangled private method) and runs
# asyncore.loop() in try/except KeyboardInterrupt that closes the server and exits 0.
import asyncore
import os
import signal
import smtpd
import sys

from _record import record

LISTS = {
    "bob@example.com": ["ann@list.example", "ben@list.example"],
    "carol@example.com": ["cid@list.example"],
}


class SMTPChannel(smtpd.SMTPServer):
    """Receives list mail and distributes it to the list's members."""

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        unknown = [r for r in rcpttos if r.lower() not in LISTS]
        if unknown:
            return "550 No such distribution list: %s" % ", ".join(unknown)
        os.makedirs("distributed", exist_ok=True)
        for rcpt in rcpttos:
            for member in LISTS[rcpt.lower()]:
                with open(os.path.join("distributed", member), "ab") as f:
                    f.write(b"X-List: " + rcpt.encode() + b"\n" + data + b"\n\n")
        print("distributed to %d lists" % len(rcpttos))


class GnuPGSMTP(object):  # noqa: UP004
    __LOCAL_HOST_ADDR = "127.0.0.1"
    __LOCAL_PORT = 0

    def start(self):
        """Instantiate the SMTP channel and start listening with asyncore."""
        signal.signal(signal.SIGTERM, self.__sigTermHandler)
        self.smtpChannel = SMTPChannel((GnuPGSMTP.__LOCAL_HOST_ADDR, GnuPGSMTP.__LOCAL_PORT), None)
        print(self.smtpChannel.socket.getsockname()[1], flush=True)
        try:
            asyncore.loop()
        except KeyboardInterrupt:
            print("Stopping the SMTP channel")
            self.smtpChannel.close()
            sys.exit(0)

    def __sigTermHandler(self, signum, frame):
        self.smtpChannel.close()
        sys.exit(0)


if __name__ == "__main__":
    GnuPGSMTP().start()
