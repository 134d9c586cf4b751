# Shape: a honeypot's SMTP capability: a channel __init__(smtp_server, newsocket,
# fromaddr, map=None, session=None, opts=None) that turns its push() off (_initflag)
# while the base __init__ sends the stock greeting, then pushes the configured banner;
# smtp_AUTH records the credentials of the session and always answers 535; the server
# builds that channel in handle_accepted with the session and options.
import asyncore
import base64
import smtpd

from _record import record

OPTIONS = {"banner": "Microsoft ESMTP MAIL service ready"}


class Session:
    def __init__(self, peer):
        self.peer = peer
        self.credentials = []

    def try_auth(self, mechanism, **kwargs):
        self.credentials.append((mechanism, kwargs))
        print("login attempt", mechanism, kwargs)


class SMTPChannel(smtpd.SMTPChannel):
    def __init__(self, smtp_server, newsocket, fromaddr, map=None, session=None, opts=None):
        self.options = opts
        # The base __init__ pushes its own banner: while _initflag is False push()
        # does nothing, so that only ours is sent.
        self._initflag = False
        self.banner = self.options["banner"]
        smtpd.SMTPChannel.__init__(self, smtp_server, newsocket, fromaddr, map=map)
        self._initflag = True
        self.session = session
        self.push("220 %s" % self.banner)

    def push(self, msg):
        if self._initflag:
            smtpd.SMTPChannel.push(self, msg)

    def smtp_AUTH(self, arg):
        if not arg:
            self.push("501 Syntax: AUTH mechanism")
            return
        mechanism, _, rest = arg.partition(" ")
        if mechanism.upper() == "PLAIN" and rest:
            try:
                _, user, password = base64.b64decode(rest).decode().split("\0")
            except ValueError:
                self.push("501 malformed auth input")
                return
            self.session.try_auth("plain", username=user, password=password)
            self.push("535 authentication failed")
        else:
            self.push("504 Unrecognized authentication type")


class SMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr, opts):
        self.opts = opts
        self.sessions = []
        smtpd.SMTPServer.__init__(self, localaddr, None)

    def handle_accepted(self, conn, addr):
        session = Session(addr[0])
        self.sessions.append(session)
        SMTPChannel(self, conn, addr, session=session, opts=self.opts)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("captured mail from %s to %s (%d bytes)" % (mailfrom, rcpttos, len(data)))


if __name__ == "__main__":
    server = SMTPServer(("127.0.0.1", 0), OPTIONS)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print(sum(len(s.credentials) for s in server.sessions), "login attempts")
