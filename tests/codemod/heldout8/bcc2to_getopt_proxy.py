# Shape: a BCC-expanding SMTP proxy ("produce individual messages for each BCC: address")
# in smtpd's own command-line style: a usage docstring printed with % globals(), a module
# __version__, its own module-level DEBUGSTREAM = smtpd.Devnull(), an Options class of
# class attributes filled by getdefault() (a defaults file, a logged warning when it is
# missing) and parseargs() (getopt: -b bcc address, -a allowed-sender regex, -s size,
# -d debug level; localhost:port and remotehost:port positionals); Bcc2To(smtpd.PureProxy)
# with a 4-argument process_message (PureProxy's own signature; default decode_data:
# TypeError on every message under Python 3) that would split the headers, strip To/Cc and
# deliver one copy per BCC recipient, and a _deliver(mailfrom, rcpttos, data, dolog)
# override with an extra argument calling super()._deliver; main() constructs
# Bcc2To(local, remote, options.size_limit) (size_limit None: the third positional is
# data_size_limit, so no SIZE limit) without keeping it and calls asyncore.loop().
# (Run with `-b list@example.com -a '.*' 127.0.0.1:0 127.0.0.1:9` when given no
# arguments; the port is printed from the unkept object's socket; the relay is never used.)
"""SMTP proxy used to produce individual messages for each BCC: specified address

Usage: %(program)s [options] [localhost[:localport] [remotehost[:remoteport]]]

Version: %(__version__)s
"""
import asyncore
import getopt
import logging
import re
import smtpd
import sys
from email.utils import parseaddr

from _record import record

program = sys.argv[0]
__version__ = "0.3.0"
deflport = 10033

DEBUGSTREAM = smtpd.Devnull()
NEWLINE = "\n"
log = logging.getLogger("bcc2to.log")


def retraddr(lines, b, e):
    if b is None:
        return set(), None
    ad = [parseaddr(t) for t in "".join(lines[b:e]).split(",")]
    return {a[1] for a in ad}, ad


reTo = re.compile(r"to:", re.I)


class Bcc2To(smtpd.PureProxy):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        if options.debug >= 1:
            print("===> Bcc2To receive: mailfrom '%s' rcptto '%s'" % (mailfrom, rcpttos),
                  file=DEBUGSTREAM)
        rcpt = set(rcpttos)
        havelist = False
        if options.bcc2to in rcpt:
            rcpt.remove(options.bcc2to)
            havelist = True
        if options.alowedre.match(mailfrom):
            log.info("Processing message from <%s> to %s", mailfrom, rcpttos)
            lines = data.split("\n")
            toBeg = next((i for i, x in enumerate(lines) if reTo.match(x)), None)
            to, fto = retraddr(lines, toBeg, None if toBeg is None else toBeg + 1)
            for a in rcpt.difference(to):
                self._deliver(mailfrom, [a], data, True)
                rcpt.discard(a)
        if len(rcpt):
            refused = self._deliver(mailfrom, list(rcpt), data, havelist)
            if len(refused) != 0:
                log.warning("Refused delivery to %s", refused)

    def _deliver(self, mailfrom, rcpttos, data, dolog):
        if dolog:
            log.info("Delivering message from <%s> to %s", mailfrom, rcpttos)
        return super()._deliver(mailfrom, rcpttos, data)


class Options:
    size_limit = None
    localhost = None
    localport = None
    remotehost = None
    remoteport = None
    bcc2to = None
    alowedre = None
    debug = 0


options = Options()


def getdefault():
    """Retrieve options from file /etc/default/bcc2to"""
    df = "/etc/default/bcc2to.example-missing"
    try:
        with open(df) as f:
            for line in f:  # noqa: B007
                pass
    except Exception:
        log.warning("Cannot find defaults file '%s'", df)


def usage(code, msg=""):
    print(__doc__ % globals(), file=sys.stderr)
    if msg:
        print(msg, file=sys.stderr)
    sys.exit(code)


def parseargs():
    try:
        opts, args = getopt.getopt(sys.argv[1:], "Vhs:d:b:a:",
                                   ["version", "help", "size=", "debug=", "bcc2to=", "allowed="])
    except getopt.error as e:
        usage(1, e)
    for opt, arg in opts:
        if opt in ("-h", "--help"):
            usage(0)
        elif opt in ("-V", "--version"):
            print(__version__)
            sys.exit(0)
        elif opt in ("-d", "--debug"):
            options.debug = int(arg)
        elif opt in ("-b", "--bcc2to"):
            options.bcc2to = arg.lower()
        elif opt in ("-a", "--allowed"):
            options.alowedre = re.compile(arg)
        elif opt in ("-s", "--size"):
            options.size_limit = int(arg)
    if len(args) >= 1:
        options.localhost, options.localport = args[0].split(":")
        options.localport = int(options.localport)
    if len(args) >= 2:
        options.remotehost, options.remoteport = args[1].split(":")
        options.remoteport = int(options.remoteport)
    if options.localhost is None:
        options.localhost = "localhost"
    if options.localport is None:
        options.localport = deflport
    if options.remotehost is None:
        options.remotehost = "localhost"
    if options.remoteport is None:
        options.remoteport = options.localport + 1


def main():
    getdefault()
    parseargs()
    if options.bcc2to is None:
        usage(1, "-b option is mandatory")
    if options.alowedre is None:
        usage(1, "-a option is mandatory")
    log.info("Startup parameters: bcc2to=%s", options.bcc2to)

    print(Bcc2To((options.localhost, options.localport),
                 (options.remotehost, options.remoteport),
                 options.size_limit).socket.getsockname()[1], flush=True)
    asyncore.loop()


if __name__ == "__main__":
    if len(sys.argv) == 1:
        sys.argv += ["-b", "list@example.com", "-a", ".*", "127.0.0.1:0", "127.0.0.1:9"]
    main()
