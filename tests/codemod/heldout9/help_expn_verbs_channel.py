# Shape: a list server's test front end: ListChannel(smtpd.SMTPChannel) replacing
# smtp_HELP with its own one-line answer that names the extra verbs, and implementing
# smtp_EXPN to list a list's members (250-/250 lines) from the server's `lists` dict,
# "550 No such list" otherwise, "501 Syntax: EXPN <list>" without an argument;
# ListFrontServer(smtpd.SMTPServer) with channel_class, a `lists` attribute set after the
# base __init__ and a **kwargs process_message printing the expansion; a SIGINT handler
# that sets a stop flag and a main loop polling asyncore.loop(timeout=0.2, count=1) until
# it is set, then close().
import asyncore
import signal
import smtpd

from _record import record

STOP = []


class ListChannel(smtpd.SMTPChannel):
    def smtp_HELP(self, arg):
        self.push("214 Commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY EXPN HELP")

    def smtp_EXPN(self, arg):
        if not arg:
            self.push("501 Syntax: EXPN <list>")
            return
        members = self.smtp_server.lists.get(arg.strip().strip("<>").lower())
        if members is None:
            self.push("550 No such list")
            return
        lines = ["250-%s" % m for m in members[:-1]] + ["250 %s" % members[-1]]
        self.push("\r\n".join(lines))


class ListFrontServer(smtpd.SMTPServer):
    channel_class = ListChannel

    def __init__(self, localaddr):
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self.lists = {
            "staff": ["ann@example.org", "ben@example.org"],
            "bob@example.com": ["bob.one@example.org"],
        }

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        for rcpt in rcpttos:
            print("%s -> %s" % (rcpt, self.lists.get(rcpt, [rcpt])))


def on_sigint(signum, frame):
    STOP.append(signum)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, on_sigint)
    server = ListFrontServer(("127.0.0.1", 0))
    print(server.socket.getsockname()[1], flush=True)
    while not STOP:
        asyncore.loop(timeout=0.2, count=1)
    server.close()
    print("stopped")
