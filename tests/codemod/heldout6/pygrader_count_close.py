# Shape: a course-grading tool's test SMTP server (modules imported under private aliases,
# `import smtpd as _smptd` with its typo): a channel subclass named SMTPChannel whose
# close() calls super(SMTPChannel, self).close(), logs and tells the server
# channel_closed(); a server subclass named SMTPServer with channel_class,
# __init__(*args, **kwargs) popping its own count= and process= keywords before
# super(SMTPServer, self).__init__, a log_info override routed to the project logger,
# handle_accepted closing new connections once count is spent (else the base, then
# channels_open += 1), channel_closed() closing the server when the last channel closes
# with no count left, and a 4-argument process_message (default decode_data: TypeError on
# every message under Python 3) that decrements count, logs the envelope and calls the
# process callback; the doctest runs asyncore.loop() until the server closes itself.
# (Here count=3 and the loop is in try/except KeyboardInterrupt printing the count left.)
import asyncore as _asyncore
import logging
import smtpd as _smptd
import sys

from _record import record

_LOG = logging.getLogger("pygrader")
_handler = logging.StreamHandler(sys.stderr)
_handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
_LOG.addHandler(_handler)
_LOG.setLevel(logging.INFO)


class SMTPChannel(_smptd.SMTPChannel):
    def close(self):
        super(SMTPChannel, self).close()  # noqa: UP008
        _LOG.debug("close {}".format(self))  # noqa: UP032
        self.smtp_server.channel_closed()


class SMTPServer(_smptd.SMTPServer):
    """An SMTP server for testing pygrader."""

    channel_class = SMTPChannel

    def __init__(self, *args, **kwargs):
        self.count = kwargs.pop("count", None)
        self.process = kwargs.pop("process", None)
        self.channels_open = 0
        super(SMTPServer, self).__init__(*args, **kwargs)  # noqa: UP008

    def log_info(self, message, type="info"):
        # TODO: type -> severity
        _LOG.info(message)

    def handle_accepted(self, conn, addr):
        if self.count <= 0:
            conn.close()
            return
        super(SMTPServer, self).handle_accepted(conn, addr)  # noqa: UP008
        self.channels_open += 1

    def channel_closed(self):
        self.channels_open -= 1
        if self.channels_open == 0 and self.count <= 0:
            _LOG.debug("close {}".format(self))  # noqa: UP032
            self.close()

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        if self.count is not None:
            self.count -= 1
            _LOG.debug("Count: {}".format(self.count))  # noqa: UP032
        _LOG.debug("receiving message from: {}".format(peer[0]))  # noqa: UP032
        _LOG.debug("message addressed from: {}".format(mailfrom))  # noqa: UP032
        _LOG.debug("message addressed to  : {}".format(rcpttos))  # noqa: UP032
        _LOG.debug("message length        : {}".format(len(data)))  # noqa: UP032
        if self.process:
            self.process(peer, mailfrom, rcpttos, data)
        return


def process(peer, mailfrom, rcpttos, data):
    print("mailfrom: {}".format(mailfrom))  # noqa: UP032
    print("rcpttos:  {}".format(rcpttos))  # noqa: UP032
    print("message:")
    print(data)


if __name__ == "__main__":
    server = SMTPServer(("127.0.0.1", 0), None, process=process, count=3)
    print(server.socket.getsockname()[1], flush=True)
    try:
        _asyncore.loop()
    except KeyboardInterrupt:
        print("interrupted, {} messages left to count".format(server.count))  # noqa: UP032
