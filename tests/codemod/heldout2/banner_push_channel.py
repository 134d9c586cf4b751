# Shape: a honeypot's SMTP service: a channel __init__ taking the seven base arguments plus
# a logger and a session list, a push() override that replaces the first line sent (the
# greeting) with a fixed banner and logs every other reply, and handle_accepted building
# that channel with the extra arguments.
import asyncore
import logging
import smtpd

from _record import record

logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")

BANNER = "220 mx.example.net ESMTP Postfix (Debian/GNU)"


class SMTPChannel(smtpd.SMTPChannel):
    def __init__(self, server, conn, addr, data_size_limit, map, utf8, decode_data, logger, logs):
        self.logger = logger
        self.logs = logs
        self.banner_sent = False
        super().__init__(server, conn, addr, data_size_limit, map, utf8, decode_data)

    def push(self, msg):
        if not self.banner_sent:
            self.banner_sent = True
            super().push(BANNER)
            return
        self.logger.info("send message: %s", msg)
        self.logs.append(msg)
        super().push(msg)


class HoneypotSMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr):
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self.logger = logging.getLogger("smtp-honeypot")
        self.logs = []

    def handle_accepted(self, conn, addr):
        self.logger.info("connection from %s", addr[0])
        SMTPChannel(
            self,
            conn,
            addr,
            self.data_size_limit,
            self._map,
            self.enable_SMTPUTF8,
            self._decode_data,
            self.logger,
            self.logs,
        )

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.logger.info("captured mail from %s", mailfrom)


server = HoneypotSMTPServer(("127.0.0.1", 0))
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("replies logged", len(server.logs))
