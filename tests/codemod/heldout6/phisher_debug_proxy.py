# Shape: a phishing-campaign toolkit's SMTP server: KingPhisherSMTPServer(smtpd.PureProxy,
# object) whose __init__(localaddr, remoteaddr, debugging=False) sets a flag and a logger
# before super().__init__, logs "open relay listening on ..." and a warning in debugging
# mode; a cached MX lookup helper; a 4-argument process_message (default decode_data:
# TypeError on every message under Python 3) that logs the envelope and returns early
# when debugging, else relays through the PureProxy base; serve_forever() runs a bare
# asyncore.loop(). (The cache decorator and DNS resolver are local stand-ins; the server
# runs with debugging=True and a dummy upstream.)
import asyncore
import functools
import logging
import smtpd
import sys

from _record import record


def Cache(lifetime):
    """Stands in for the toolkit's utilities.Cache decorator."""

    def decorate(function):
        return functools.lru_cache(maxsize=None)(function)

    return decorate


class KingPhisherSMTPServer(smtpd.PureProxy, object):  # noqa: UP004
    """An SMTP server useful for debugging. Messages handled by this server
    are not forwarded anywhere."""

    def __init__(self, localaddr, remoteaddr, debugging=False):
        self.debugging = debugging
        self.logger = logging.getLogger("KingPhisher.SMTPD")
        super(KingPhisherSMTPServer, self).__init__(localaddr, remoteaddr)  # noqa: UP008
        self.logger.info(
            "open relay listening on {0}:{1}".format(localaddr[0], localaddr[1])  # noqa: UP030, UP032
        )
        if self.debugging:
            self.logger.warning("debugging mode is enabled, all messages will be dropped")

    @Cache("6h")
    def get_smtp_servers(self, domain_name):
        return ("mx." + domain_name,)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.logger.info(
            "received message from {0} ({1}) to {2}".format(  # noqa: UP030
                mailfrom, peer[0], ", ".join(rcpttos)
            )
        )
        if self.debugging:
            return
        super(KingPhisherSMTPServer, self).process_message(  # noqa: UP008
            peer, mailfrom, rcpttos, data
        )

    def serve_forever(self):
        asyncore.loop()


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(name)s %(levelname)s %(message)s")
    server = KingPhisherSMTPServer(("127.0.0.1", 0), ("127.0.0.1", 9), debugging=True)
    print(server.socket.getsockname()[1], flush=True)
    server.serve_forever()
