# Shape: an integration-test "throw messages into an mbox" server started by fork/exec:
# ResettingChannel(smtpd.SMTPChannel) whose smtp_RSET re-opens the server's mbox file before
# calling the base, plus a send() override swallowing socket.error; Server(parser) reading
# host/port/mbox from optparse options, a Py2-style handle_accept that builds the channel
# itself (and logs), resetMailboxFile() re-opening the file in 'w' mode, a 4-argument
# process_message (default decode_data) parsing message_from_string(data), and a close()
# override that only closes the mbox; SIGINT/SIGTERM handlers that clear
# asyncore.socket_map; a logger with propagate=False writing to a FileHandler; after the
# loop, asyncore.close_all() and server.close(). (The loop gets timeout=1.0 here so that a
# cleared map ends it within the harness's wait; the original used the default 30 s.)
import asyncore
import logging
import os
import signal
import smtpd
import socket
import sys
from email import message_from_string
from optparse import OptionParser

from _record import record

log = logging.getLogger("smtpd")

FMT = "%(name)s (%(levelname)s) %(message)s"


class ResettingChannel(smtpd.SMTPChannel):
    """A channel that can reset the temporary file."""

    def __init__(self, server, conn, addr):
        smtpd.SMTPChannel.__init__(self, server, conn, addr)
        # Stash this here since the subclass uses private attributes. :(
        self._server = server

    def smtp_RSET(self, arg):
        """Reset the mbox file on the server instance."""
        self._server.resetMailboxFile()
        smtpd.SMTPChannel.smtp_RSET(self, arg)

    def send(self, data):
        try:
            return smtpd.SMTPChannel.send(self, data)
        except socket.error:  # noqa: UP024
            pass


class Server(smtpd.SMTPServer):
    """An SMTP server subclass that stores to an mbox file."""

    def __init__(self, parser):
        addr = (parser.options.host, parser.options.port)
        smtpd.SMTPServer.__init__(self, addr, None)
        self._mbox_file = parser.options.mbox
        self.resetMailboxFile()
        sys.path.insert(0, parser.options.path)

    def handle_accept(self):
        """Open a resetting channel."""
        conn, addr = self.accept()
        log.debug("accept: %s", addr[0])
        channel = ResettingChannel(self, conn, addr)  # noqa: F841
        # Do not dispatch to the base class, which would make a second channel.

    def resetMailboxFile(self):
        """Re-open the mailbox file."""
        self._mbox = open(self._mbox_file, "w")
        log.debug("Resetting mbox file: %s", self._mbox_file)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        message = message_from_string(data)
        message["Received"] = "by smtp2mbox"
        log.debug("msgid: %s, to: %s, rcpt: %s", message["message-id"], message["to"], rcpttos)
        try:
            local, hostname = message["to"].split("@", 1)
        except (ValueError, AttributeError):
            log.debug("Bad TO header: %s", message.get("to", "n/a"))
            return
        self._deliver_to_mbox(message)

    def _deliver_to_mbox(self, message):
        """Store the message in the mbox."""
        print(message, file=self._mbox)
        print(file=self._mbox)
        self._mbox.flush()
        os.fsync(self._mbox.fileno())
        log.debug("delivered to mbox: %s", message.get("message-id", "n/a"))

    def close(self):
        """Close the mbox file."""
        self._mbox.close()


def handle_signal(*ignore):
    """Handle signal sent by parent to kill the process."""
    asyncore.socket_map.clear()


def parse_arguments():
    parser = OptionParser()
    parser.add_option("--host", default="127.0.0.1", action="store")
    parser.add_option("--port", default=0, type="int")
    parser.add_option("--mbox", action="store", default="smtp2mbox.mbox")
    parser.add_option("--path", action="store", default=".")
    parser.add_option("--logfile", action="store", default="smtpd.log")
    options, arguments = parser.parse_args()
    parser.options = options
    parser.arguments = arguments
    return parser


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, handle_signal)
    signal.signal(signal.SIGINT, handle_signal)

    parser = parse_arguments()

    logging.basicConfig(format=FMT, level=logging.INFO)
    filelog = logging.FileHandler(parser.options.logfile)
    filelog.setFormatter(logging.Formatter(fmt=FMT))
    log.addHandler(filelog)
    log.setLevel(logging.DEBUG)
    log.propagate = False

    server = Server(parser)
    print(server.socket.getsockname()[1], flush=True)
    log.debug("SMTP listener started on: %s:%s", parser.options.host, parser.options.port)
    asyncore.loop(timeout=1.0)
    asyncore.close_all()
    server.close()
