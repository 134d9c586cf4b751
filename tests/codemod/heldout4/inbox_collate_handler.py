# Shape: an "SMTP inbox for apps": InboxServer(smtpd.SMTPServer, object) taking the
# handler first and forwarding *args/**kwargs with super(Cls, self); a **kwargs
# process_message printing the envelope, logging (basicConfig DEBUG on stderr), parsing
# the subject with Parser().parsestr(data.decode()) and returning the handler's result;
# an Inbox object whose collate decorator registers the handler and whose serve() builds
# the server and loops, logging 'Cleaning up' on Ctrl+C.
import asyncore
import logging
import smtpd
from email.parser import Parser

from _record import record

logging.basicConfig(format="%(levelname)s:%(message)s", level=logging.DEBUG)
log = logging.getLogger(__name__)


class InboxServer(smtpd.SMTPServer, object):  # noqa: UP004
    """Logging-enabled SMTPServer instance with handler support."""

    def __init__(self, handler, *args, **kwargs):
        super(InboxServer, self).__init__(*args, **kwargs)  # noqa: UP008
        self._handler = handler

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print(peer[0], mailfrom, rcpttos, len(data))
        log.info("Collating message from {0}".format(mailfrom))  # noqa: UP030, UP032
        subject = Parser().parsestr(data.decode("utf-8"))["subject"]
        log.debug(dict(to=rcpttos, sender=mailfrom, subject=subject, body=data))
        return self._handler(to=rcpttos, sender=mailfrom, subject=subject, body=data)


class Inbox(object):  # noqa: UP004
    """A simple SMTP Inbox."""

    def __init__(self, port=None, address=None):
        self.port = port
        self.address = address
        self.collator = None

    def collate(self, collator):
        """Function decorator. Used to specify inbox handler."""
        self.collator = collator
        return collator

    def serve(self, port=None, address=None):
        """Serves the SMTP server on the given port and address."""
        port = port or self.port
        address = address or self.address
        log.info("Starting SMTP server at {0}".format(address))  # noqa: UP030, UP032
        server = InboxServer(self.collator, (address, port), None)
        print(server.socket.getsockname()[1], flush=True)
        try:
            asyncore.loop()
        except KeyboardInterrupt:
            log.info("Cleaning up")


inbox = Inbox(port=0, address="127.0.0.1")


@inbox.collate
def handle(to, sender, subject, body):
    print(to, sender, subject)


if __name__ == "__main__":
    inbox.serve(address="127.0.0.1", port=0)
