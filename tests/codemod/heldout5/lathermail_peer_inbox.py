# Shape: a mail-testing web app's inbox server: a subclass named SMTPChannel(smtpd.SMTPChannel,
# object) with __init__(server, conn, addr, on_close=lambda s: None) calling the base by
# name, a close() override that calls the base then the on_close callback in a bare
# try/except, its own smtp_EHLO pushing one CRLF-joined multi-line string and reading the
# mangled self.__server / self.__conn, smtp_AUTH PLAIN storing user/password, smtp_MAIL
# answering 530 until authenticated, smtp_STARTTLS answering 454 without a TLS context; an
# InboxServer(smtpd.SMTPServer, object) whose handle_accept keeps channels in a dict by peer,
# a 4-argument process_message (default decode_data) looking the channel up by peer and
# returning what the handler returns; serve_smtp() builds it and runs a bare loop.
import asyncore
import base64
import email
import logging
import smtpd
import ssl

from _record import record

log = logging.getLogger(__name__)


class SMTPChannel(smtpd.SMTPChannel, object):  # noqa: UP004
    def __init__(self, server, conn, addr, on_close=lambda s: None):
        smtpd.SMTPChannel.__init__(self, server, conn, addr)
        self.user = None
        self.password = None
        self._addr = addr
        self._on_close = on_close

    def close(self):
        smtpd.SMTPChannel.close(self)
        try:
            self._on_close(self._addr)
        except:  # noqa: E722
            log.exception("Exception in on_close for %s:", self._addr)

    def smtp_EHLO(self, arg):
        self.seen_greeting = arg
        parts = [self.fqdn, "AUTH PLAIN"]
        if self.__server.ssl_ctx and not isinstance(self.__conn, ssl.SSLSocket):
            parts.append("STARTTLS")
        for i, feature in enumerate(parts):
            is_last = i == len(parts) - 1
            parts[i] = "250%s%s" % ((" " if is_last else "-"), feature)
        self.push("\r\n".join(parts))

    def smtp_AUTH(self, arg):
        try:
            user, password = self.decode_plain_auth(arg)
        except ValueError:
            self.push("535 5.7.8  Authentication credentials invalid")
        else:
            self.push("235 2.7.0  Authentication Succeeded")
            self.user, self.password = user.decode("ascii"), password.decode("ascii")

    def smtp_MAIL(self, arg):
        if not (self.user and self.password):
            self.push("530 5.7.0  Authentication required")
            return
        smtpd.SMTPChannel.smtp_MAIL(self, arg)

    def smtp_STARTTLS(self, arg):
        if arg:
            self.push("501 Syntax error (no parameters allowed)")
        else:
            self.push("454 TLS not available due to temporary reason")

    @staticmethod
    def decode_plain_auth(arg):
        user_password = arg.split()[-1]
        user_password = base64.b64decode(user_password.encode("ascii"))
        return user_password.split(b"\0", 3)[1:]


class InboxServer(smtpd.SMTPServer, object):  # noqa: UP004
    def __init__(self, localaddr, handler, ssl_ctx=None, tls_only=False):
        self.ssl_ctx = ssl_ctx
        self.tls_only = tls_only
        super(InboxServer, self).__init__(localaddr, None)  # noqa: UP008
        self._handler = handler
        self._channel_by_peer = {}

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            log.info("Incoming connection from %s", repr(addr))
            # process_message() gets no channel, so channels are kept by peer.
            self._channel_by_peer[addr] = SMTPChannel(
                self, conn, addr, on_close=self._on_channel_close
            )

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        channel = self._channel_by_peer.get(peer)
        if not channel:
            log.error("No channel found for peer %s", peer)
            return "451 Internal confusion"
        message = email.message_from_string(data)
        return self._handler(to=rcpttos, sender=mailfrom, message=message, body=data,
                             user=channel.user, password=channel.password)

    def _on_channel_close(self, peer):
        self._channel_by_peer.pop(peer, None)


def serve_smtp(host="127.0.0.1", port=10252, handler=None):
    if handler is None:

        def handler(to, sender, *args, **kwargs):
            print("{0} <- {1}".format(to, sender))  # noqa: UP030, UP032

    server = InboxServer((host, port), handler)
    print(server.socket.getsockname()[1], flush=True)
    log.info("Running SMTP server on %s:%s", host, port)
    asyncore.loop()


if __name__ == "__main__":
    serve_smtp(port=0)
