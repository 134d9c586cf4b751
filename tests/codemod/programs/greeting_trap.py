# A trap's SMTP front end: the channel's __init__ takes smtpd's seven arguments, then the
# server's audit list and a tag, and keeps a flag before the base sends the greeting; its
# push() swaps smtpd's greeting for a fixed one and audits every later reply;
# handle_accepted counts the client, then builds the channel with the server's own
# settings and the extras.
import asyncore
import smtpd

from _record import record

GREETING = "220 relay.example.com ESMTP ready"


class TrapChannel(smtpd.SMTPChannel):
    def __init__(self, server, conn, addr, data_size_limit, map, utf8, decode_data, audit, tag):
        self.greeted = False
        self.audit = audit
        self.tag = tag
        super().__init__(server, conn, addr, data_size_limit, map, utf8, decode_data)

    def push(self, msg):
        if not self.greeted:
            self.greeted = True
            super().push(GREETING)
            return
        self.audit.append("%s %s" % (self.tag, msg.split(" ", 1)[0]))
        super().push(msg)


class TrapServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.audit = []
        self.clients = 0

    def handle_accepted(self, conn, addr):
        self.clients += 1
        TrapChannel(
            self,
            conn,
            addr,
            self.data_size_limit,
            self._map,
            self.enable_SMTPUTF8,
            self._decode_data,
            self.audit,
            "trap",
        )

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("caught mail from", mailfrom, "client", self.clients, flush=True)


trap = TrapServer(("127.0.0.1", 0), None)
print(trap.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print(trap.clients, "clients,", len(trap.audit), "replies audited:", trap.audit, flush=True)
