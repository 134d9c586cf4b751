# Shape: a web framework's "recmail" management command: MySMTPServer(smtpd.SMTPServer)
# with a 4-argument process_message (default decode_data: TypeError on every message
# under Python 3) that sends a framework signal mail_received(sender=self, peer=...,
# mailfrom=..., rcpttos=..., data=...) and logs the receivers' answers through the
# project's "dblogger"; main(*args, **options) parses "ADDR" or "ADDR:PORT" (CommandError
# otherwise), starts the site, builds the server without keeping it, logs "start
# listening" and runs a bare asyncore.loop() followed by a "stopped listening" line it
# never reaches on Ctrl+C. (The Django signal and settings are small local stand-ins; the
# server is kept in a local here so that its real port can be printed.)
import asyncore
import logging
import smtpd
import sys

from _record import record

logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")
dblogger = logging.getLogger("lino.dblogger")


class CommandError(Exception):
    pass


class Signal:
    """Stands in for django.dispatch.Signal."""

    def __init__(self, providing_args=None):
        self.receivers = []

    def connect(self, receiver):
        self.receivers.append(receiver)

    def send(self, sender, **named):
        return [(r, r(signal=self, sender=sender, **named)) for r in self.receivers]


mail_received = Signal(["msg"])


class Site:
    def startup(self):
        dblogger.info("site started: %d receivers", len(mail_received.receivers))


class settings:
    SITE = Site()


def save_incoming(signal, sender, peer, mailfrom, rcpttos, data, **kw):
    return "stored %d bytes for %s" % (len(data), ",".join(rcpttos))


mail_received.connect(save_incoming)


class MySMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        rv = mail_received.send(self, peer=peer, mailfrom=mailfrom, rcpttos=rcpttos, data=data)
        dblogger.info("20140703 process_message %s", [answer for _, answer in rv])


DEFAULT_PORT = 0


def main(*args, **options):
    if len(args) == 0:
        addr, port = "127.0.0.1", DEFAULT_PORT
    elif len(args) != 1:
        raise CommandError("Must specify ADDR or ADDR:PORT as argument")
    else:
        a = args[0].split(":")
        if len(a) == 2:
            addr, port = a
            port = int(port)
        elif len(a) == 1:
            addr = a[0]
            port = DEFAULT_PORT
        else:
            raise CommandError("Invalid ADDR, must be something like 127.0.0.1 or 127.0.0.1:1025")
    settings.SITE.startup()
    server = MySMTPServer((addr, port), None)
    print(server.socket.getsockname()[1], flush=True)
    dblogger.info("20140703 start listening on %s:%d", addr, port)
    asyncore.loop()
    dblogger.info("20140703 stopped listening on %s:%d", addr, port)


if __name__ == "__main__":
    main(*sys.argv[1:])
