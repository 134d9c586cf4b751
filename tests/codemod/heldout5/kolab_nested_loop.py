# Shape: a groupware content-filter daemon: its SMTPServer subclass counts connections and
# refuses over a maximum in handle_accept, accepts by hand, routes smtpd.DEBUGSTREAM to its
# logger when the debug level is high, builds a plain smtpd.SMTPChannel itself through a
# module alias (_smtpd = smtpd) and then runs asyncore.loop() again INSIDE handle_accept (a
# nested loop per connection); a 4-argument process_message (default decode_data) that
# spools the message to a numbered file; everything inside handle_accept is wrapped in
# try/except Exception that logs; module-level start with a bare loop.
import asyncore
import logging
import os
import smtpd
import sys

from _record import record

log = logging.getLogger("wallace")


class StderrToLogger:
    def __init__(self, logger):
        self.logger = logger

    def write(self, text):
        if text.strip():
            self.logger.debug(text.rstrip())

    def flush(self):
        pass


class Config:
    debuglevel = 0
    max_connections = 25
    spool = "spool"


conf = Config()


class WallaceDaemon(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.current_connections = 0
        self.max_connections = conf.max_connections
        self.spooled = 0

    def handle_accept(self):
        if self.current_connections >= self.max_connections:
            log.error("Too many connections (%d)", self.current_connections)
            return
        try:
            pair = self.accept()
            if pair is not None:
                self.current_connections += 1
                connection, address = pair
                log.info("Accepted connection from %s", address[0])
                _smtpd = smtpd
                # Set DEBUGSTREAM of smtpd to log to our logger
                if conf.debuglevel > 8:
                    _smtpd.DEBUGSTREAM = StderrToLogger(log)
                channel = _smtpd.SMTPChannel(self, connection, address)  # noqa: F841
                asyncore.loop()
            else:
                log.error("Socket accepted, but (conn, address) tuple is None.")
        except Exception:
            log.error("Unhandled exception in handle_accept")

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        if not os.path.isdir(conf.spool):
            os.makedirs(conf.spool)
        self.spooled += 1
        with open(os.path.join(conf.spool, "%04d.msg" % self.spooled), "w") as f:
            f.write("X-Kolab-From: %s\n" % mailfrom)
            f.write("X-Kolab-To: %s\n" % ", ".join(rcpttos))
            f.write(data)
        log.info("Spooled message %d", self.spooled)


logging.basicConfig(
    stream=sys.stderr, level=logging.INFO, format="%(name)s: %(levelname)s %(message)s"
)
server = WallaceDaemon(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
