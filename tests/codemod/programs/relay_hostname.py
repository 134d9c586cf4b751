# A relay whose channel names the relay in its HELO/EHLO replies (fqdn set after the base
# __init__, so smtpd's greeting still named the machine) and keeps the domains the server
# was started with, which its XCLIENT answer reports; it counts the XCLIENTs it answered.
import asyncore
import smtpd
import time

from _record import record


class RelayChannel(smtpd.SMTPChannel):
    def __init__(self, server, conn, addr, *args, **kwargs):
        super().__init__(server, conn, addr, *args, **kwargs)
        self.fqdn = "relay.example.net"
        self.domains = server.local_domains
        self.answered = 0
        self.opened = time.monotonic()  # kept for debugging sessions

    def smtp_XCLIENT(self, arg):
        self.answered += 1
        self.push("250 %s relays for %s (%s)" % (self.fqdn, self.domains, self.answered))


class Relay(smtpd.SMTPServer):
    channel_class = RelayChannel

    def __init__(self, localaddr, remoteaddr, domains):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.local_domains = domains

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


relay = Relay(("127.0.0.1", 0), None, "example.com example.org")
print(relay.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    relay.close()
