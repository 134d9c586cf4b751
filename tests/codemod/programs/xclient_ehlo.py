# A before-queue filter's channel: its own EHLO advertising XCLIENT (and no SIZE), an
# XCLIENT verb keeping the client's attributes and counting its uses, refused before the
# greeting.
import asyncore
import smtpd

from _record import record


class FilterChannel(smtpd.SMTPChannel):
    def __init__(self, *args, **kwargs):
        smtpd.SMTPChannel.__init__(self, *args, **kwargs)
        self.xclients = 0

    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: EHLO hostname")
        elif self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
        else:
            self._set_rset_state()
            self.seen_greeting = arg
            self.extended_smtp = True
            for line in ("250-" + self.fqdn, "250-XCLIENT ADDR NAME HELO", "250 HELP"):
                self.push(line)

    def smtp_XCLIENT(self, arg):
        if not self.seen_greeting:
            self.push("503 5.5.1 Error: send HELO/EHLO first")
            return
        self.xclients += 1
        self.client = {}
        for pair in arg.split():
            name, _, value = pair.partition("=")
            self.client[name.upper()] = value
        addr = self.client.get("ADDR", "unknown")
        self.push("220 %s ready for %s (%d)" % (self.fqdn, addr, self.xclients))


class ContentFilter(smtpd.SMTPServer):
    channel_class = FilterChannel

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


content_filter = ContentFilter(("127.0.0.1", 0), None)
print(content_filter.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    content_filter.close()
