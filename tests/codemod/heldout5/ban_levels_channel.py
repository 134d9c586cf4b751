# Shape: a distribution test-suite "sink mail server": BanningChannel overrides smtp_VRFY and
# smtp_RCPT with the channel's private helpers (_getaddr, _strip_command_keyword) before
# calling super(); it is the server's channel_class. The server's __init__(sink, banned,
# ban_levels, *args, **kwargs) sets trailing-underscore attributes before super().__init__;
# process_message(**kwargs) returns "554 banned user <...>" at the data level, else
# overwrites one sink file ('wb'). argparse main(argv), smtpd.DEBUGSTREAM = sys.stderr only
# under --debug, try: asyncore.loop() except KeyboardInterrupt: pass.
"""Sink mail server"""

import argparse
import asyncore
import smtpd
import sys

from _record import record


def error(ec, fmt, *args):
    sys.stderr.write("{}\n".format(fmt.format(*args)))  # noqa: UP032
    sys.exit(ec)


def parse_host(host):
    try:
        name, _, port = host.rpartition(":")
        return (name, int(port))
    except Exception as e:
        error(1, "{}", e)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, allow_abbrev=False)
    parser.add_argument(
        "-b", "--banned", metavar="LIST", default="nobody@example.com,again@example.com"
    )
    parser.add_argument(
        "-B", "--ban-levels", metavar="LIST", dest="ban_levels", default="vrfy,rcpt,data"
    )
    parser.add_argument("-s", "--sink", metavar="PATH", default="email.msg")
    parser.add_argument("-d", "--debug", action="store_true", default=False)
    parser.add_argument("host", metavar="HOST[:PORT]", nargs="?", default="127.0.0.1:0")
    return parser.parse_args(args=argv)


class BanningChannel(smtpd.SMTPChannel):
    def smtp_VRFY(self, arg):
        if arg and "vrfy" in self.smtp_server.ban_levels_:
            user, _ = self._getaddr(arg)
            if user in self.smtp_server.banned_ \
                    or user and user.split("@")[-1] in self.smtp_server.banned_:
                self.push("550 user <{}> is banned".format(user))  # noqa: UP032
                return
        super().smtp_VRFY(arg)

    def smtp_RCPT(self, arg):
        rcpt = arg
        if rcpt and "rcpt" in self.smtp_server.ban_levels_:
            rcpt = self._strip_command_keyword("TO:", rcpt)
            rcpt, _ = self._getaddr(rcpt)
            if rcpt in self.smtp_server.banned_ \
                    or rcpt and rcpt.split("@")[-1] in self.smtp_server.banned_:
                self.push("554 banned recipient <{}>".format(rcpt))  # noqa: UP032
                return
        super().smtp_RCPT(arg)


class SinkMailServer(smtpd.SMTPServer):
    channel_class = BanningChannel

    def __init__(self, sink, banned, ban_levels, *args, **kwargs):
        self.sink_ = sink
        self.banned_ = banned.split(",")
        self.ban_levels_ = ban_levels.split(",")
        super().__init__(*args, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if "data" in self.ban_levels_ and (
            mailfrom in self.banned_ or mailfrom and mailfrom.split("@")[-1] in self.banned_
        ):
            return "554 banned user <{}>".format(mailfrom)  # noqa: UP032
        with open(self.sink_, "wb") as f:
            f.write(data)


def main(argv):
    args = parse_args(argv)
    if args.debug:
        smtpd.DEBUGSTREAM = sys.stderr
    server = SinkMailServer(args.sink, args.banned, args.ban_levels, parse_host(args.host), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
