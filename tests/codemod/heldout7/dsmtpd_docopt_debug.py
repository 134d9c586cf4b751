# Shape: "dsmtpd, a small SMTP server for the smart developer": a docopt usage string
# (-i interface, -p port, -d Maildir directory), a Config namedtuple, a module logger, a
# contextlib.contextmanager create_maildir() that locks and unlocks a mailbox.Maildir,
# DebugServer(smtpd.DebuggingServer) whose __init__(config, *args, **kwargs) keeps the
# config and calls smtpd.DebuggingServer.__init__ by name with (interface, port), None,
# and whose process_message(**kwargs) does NOT call the base: it parses only the headers
# (BytesHeaderParser with policy.compat32 when data is bytes, Parser().parsestr
# otherwise), logs "peer: from -> rcpts [subject]" and, with a directory, adds the message
# to the Maildir; main() configures logging, parses the options, builds the server
# without keeping it, logs a start line (and checks the Maildir) and runs asyncore.loop()
# inside try/except KeyboardInterrupt logging "Cleaning up", then
# sys.exit(main()). (docopt is a small local stand-in; no directory is given, so nothing
# is stored; no time in the log format; the port line is read from asyncore.socket_map;
# 127.0.0.1 port 0.)
import asyncore
import collections
import contextlib
import email.message
import email.parser
import email.utils
import logging
import mailbox
import smtpd
import sys
from email import policy

from _record import record

DOCOPT = """
dsmtpd: A small SMTP server for the smart developer

Usage:
    dsmtpd [-i <iface>] [-p <port>] [-d <directory>]

Options:
    -p <port>      Specify the port for the SMTP server [default: 0]
    -i <iface>     Specify the interface [default: 127.0.0.1]
    -d <directory> Specify a Maildir directory to save the incoming emails
    -h --help
    --version
"""

__version__ = "0.3"
APP_NAME = "dsmtpd"
LOGGERNAME = "dsmtpd"

Config = collections.namedtuple("Config", "interface port directory")

log = logging.getLogger(LOGGERNAME)


def docopt_stand_in(doc, argv, version=None):
    """Stands in for docopt.docopt: the three options and their defaults."""
    opts = {"-i": "127.0.0.1", "-p": "0", "-d": None}
    for flag, value in zip(argv[::2], argv[1::2]):
        opts[flag] = value
    return opts


@contextlib.contextmanager
def create_maildir(maildir, create=True):
    mbox = mailbox.Maildir(maildir, create=create)
    try:
        mbox.lock()
        yield mbox

    finally:
        mbox.unlock()


class DebugServer(smtpd.DebuggingServer):
    def __init__(self, config, *args, **kwargs):
        self.config = config
        smtpd.DebuggingServer.__init__(self, (self.config.interface, self.config.port), None)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if isinstance(data, bytes):
            headers = email.parser.BytesHeaderParser(policy=policy.compat32
                                                     ).parsebytes(data)
        else:
            # in python 3.5 instance(data, str) is True -> we use the old code
            headers = email.parser.Parser().parsestr(data)

        values = {
            "peer": ":".join(map(str, peer)),
            "mailfrom": mailfrom,
            "rcpttos": ", ".join(rcpttos),
            "subject": headers.get("subject"),
        }
        log.info("%(peer)s: %(mailfrom)s -> %(rcpttos)s [%(subject)s]", values)

        if self.config.directory:
            with create_maildir(self.config.directory, create=False) as mbox:
                mbox.add(mailbox.mboxMessage(data))


def main():
    logging.basicConfig(format="%(levelname)s: %(message)s",
                        level=logging.INFO)
    opts = docopt_stand_in(DOCOPT, sys.argv[1:], version=__version__)

    config = Config(opts["-i"], int(opts["-p"]), opts["-d"])

    try:
        DebugServer(config)
        for dispatcher in list(asyncore.socket_map.values()):
            print(dispatcher.socket.getsockname()[1], flush=True)
        log.info("Starting {0} {1} at {2}".format(APP_NAME, __version__, config.interface))  # noqa: UP030, UP032

        if config.directory:
            try:
                with create_maildir(config.directory) as maildir:
                    if len(maildir) > 0:
                        log.info("Found a Maildir storage with {} mails".format(  # noqa: UP032
                                 len(maildir)))
            except:  # noqa: E722
                log.fatal("{} must be either non-existing (at a place where "  # noqa: UP032
                          "it can be created) or an existing Maildir "
                          "storage".format(config.directory))
                raise

            log.info("Storing the incoming emails into {}".format(config.directory))  # noqa: UP032
        asyncore.loop()
    except KeyboardInterrupt:
        log.info("Cleaning up")

    return 0


if __name__ == "__main__":
    sys.exit(main())
