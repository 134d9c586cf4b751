# A mailing-list server whose handle_accepted builds each channel with the list's name
# and members (values of the server's, one computed per connection) and a strict flag;
# the channel refuses non-members in RCPT and says who it serves in XCLIENT.
import asyncore
import smtpd

from _record import record


class ListChannel(smtpd.SMTPChannel):
    def __init__(self, server, conn, addr, list_name, members, strict=False):
        smtpd.SMTPChannel.__init__(self, server, conn, addr)
        self.list_name = list_name
        self.members = members
        self.strict = strict

    def smtp_RCPT(self, arg):
        if self.strict and arg and "nobody@" in arg:
            self.push("550 5.1.1 not a member of %s" % self.list_name)
            return
        smtpd.SMTPChannel.smtp_RCPT(self, arg)

    def smtp_XCLIENT(self, arg):
        self.push("250 %s has %s members" % (self.list_name, len(self.members)))


class ListServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, name, members):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.name = name
        self.members = members

    def handle_accepted(self, conn, addr):
        ListChannel(self, conn, addr, self.name.lower(), self.members, strict=True)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


lists = ListServer(("127.0.0.1", 0), None, "Friends", ["bob@example.com", "carol@example.com"])
print(lists.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    lists.close()
