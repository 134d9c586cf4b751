# Shape: an app server's functional-test SMTP sink (the "smtp2mbox" helper of a CMS test
# suite, ported to Python 3): ResettingChannel(smtpd.SMTPChannel) with __init__(server,
# conn, addr) that stashes the server as self._server "since the subclass uses private
# attributes", smtp_RSET overridden to truncate the server's mbox file before calling the
# base, and send() overridden to swallow socket errors ("silence the broken pipe
# errors"); MboxServer(smtpd.SMTPServer) with __init__(localaddr, mbox_path) passing
# decode_data=True, handle_accepted(conn, addr) building ResettingChannel(self, conn,
# addr) itself, a 4-argument process_message that appends the message to the mbox with a
# "From <sender> <date>" line, and resetMailboxFile(); an OptionParser for --port/--mbox,
# logging with a format without time, and asyncore.loop() in try/except KeyboardInterrupt.
import asyncore
import logging
import smtpd
import socket
import time
from optparse import OptionParser

from _record import record

log = logging.getLogger("smtpd")
FMT = "%(name)s %(levelname)s %(message)s"


class ResettingChannel(smtpd.SMTPChannel):
    """A channel that can reset the mbox file."""

    def __init__(self, server, conn, addr):
        smtpd.SMTPChannel.__init__(self, server, conn, addr, decode_data=True)
        # Stash this here since the subclass uses private attributes. :(
        self._server = server

    def smtp_RSET(self, arg):
        """Reset the mbox file on the server instance."""
        self._server.resetMailboxFile()
        smtpd.SMTPChannel.smtp_RSET(self, arg)

    def send(self, data):
        """Silence the bloody asynchat/asyncore broken pipe errors!"""
        try:
            return smtpd.SMTPChannel.send(self, data)
        except socket.error:  # noqa: UP024 - as written in the original
            return 0


class MboxServer(smtpd.SMTPServer):
    def __init__(self, localaddr, mbox_path):
        smtpd.SMTPServer.__init__(self, localaddr, None, decode_data=True)
        self.mbox_path = mbox_path
        self.resetMailboxFile()

    def handle_accepted(self, conn, addr):
        ResettingChannel(self, conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        log.info("message from %s to %s", mailfrom, ", ".join(rcpttos))
        with open(self.mbox_path, "a") as mbox:
            mbox.write("From %s %s\n" % (mailfrom, time.ctime()))
            mbox.write(data + "\n\n")

    def resetMailboxFile(self):
        log.info("resetting %s", self.mbox_path)
        open(self.mbox_path, "w").close()


def main():
    parser = OptionParser()
    parser.add_option("-p", "--port", type="int", default=0)
    parser.add_option("-m", "--mbox", default="test.mbox")
    options, _ = parser.parse_args([])
    logging.basicConfig(format=FMT, level=logging.INFO)
    server = MboxServer(("127.0.0.1", options.port), options.mbox)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        log.info("stopped")


if __name__ == "__main__":
    main()
