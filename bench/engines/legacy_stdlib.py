"""A legacy smtpd program: served by the stdlib smtpd (3.11) or standard-smtpd (3.12+).

legacy_compat.py is this very program with one change, the smtpd import; a smoke test
checks that. Options: see _common.parse_options.
"""

import asyncore
import smtpd

from _common import HOST, Sink, announce_port, exit_on_sigterm, parse_options

OPTIONS = parse_options()
SINK = Sink(OPTIONS.handler_sleep)


class BenchServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        SINK.take(data)


def main():
    extra = {"concurrency": OPTIONS.concurrency} if OPTIONS.concurrency else {}
    server = BenchServer((HOST, 0), None, **extra)
    exit_on_sigterm(SINK)
    announce_port(server.socket.getsockname()[1])
    asyncore.loop()


if __name__ == "__main__":
    main()
