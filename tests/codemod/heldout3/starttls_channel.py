# Shape: an "SMTP server with STARTTLS" example: a channel subclass re-implementing
# smtp_EHLO to advertise STARTTLS and adding smtp_STARTTLS (454 when no TLS context is
# configured), a server __init__(localaddr, remoteaddr, ssl_ctx=None, starttls=True,
# auth=False) whose Py2-style handle_accept builds that channel; **kwargs sink.
import asyncore
import smtpd

from _record import record


class SMTPChannel(smtpd.SMTPChannel):
    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: EHLO hostname")
            return
        if self.seen_greeting:
            self.push("503 Duplicate HELO/EHLO")
            return
        self._set_rset_state()
        self.seen_greeting = arg
        self.extended_smtp = True
        self.push("250-%s" % self.fqdn)
        if self.smtp_server.starttls:
            self.push("250-STARTTLS")
        if self.data_size_limit:
            self.push("250-SIZE %s" % self.data_size_limit)
            self.command_size_limits["MAIL"] += 26
        self.push("250 HELP")

    def smtp_STARTTLS(self, arg):
        if arg:
            self.push("501 Syntax error (no parameters allowed)")
        elif self.smtp_server.starttls and self.smtp_server.ssl_ctx:
            self.push("220 Ready to start TLS")
            # re-wrapping the socket and re-initialising the channel go here
        else:
            self.push("454 TLS not available due to temporary reason")


class SMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr, ssl_ctx=None, starttls=True, auth=False):
        self.ssl_ctx = ssl_ctx
        self.starttls = starttls
        self.auth = auth
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            if self.ssl_ctx and not self.starttls:
                conn = self.ssl_ctx.wrap_socket(conn, server_side=True)
            SMTPChannel(self, conn, addr)


class PrintingServer(SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("---------- MESSAGE FOLLOWS ----------")
        for line in data.decode("ascii", "replace").split("\n"):
            print(line)
        print("------------ END MESSAGE ------------")


def main():
    server = PrintingServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("bye")


if __name__ == "__main__":
    main()
