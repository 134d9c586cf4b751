# Shape: an "inbox.py"-style SMTP server for apps, in a fork that added SMTP AUTH (Python 2
# code; only its prints are Python 3 here): SMTPChannelWithAuth(smtpd.SMTPChannel) whose
# __init__(server, conn, addr) calls the base by name then sets user/password and its own
# fqdn; smtp_EHLO pushes "250-<fqdn>\r\n250 AUTH PLAIN" in one push WITHOUT setting
# seen_greeting; smtp_AUTH splits the base64-decoded PLAIN string with a str "\0" (bytes
# under Python 3: a TypeError, not the ValueError it catches, so asyncore drops the
# connection) and answers 235/535; smtp_MAIL answers 530 until a user and password are
# set, then calls the base; decode_plain_auth is a @staticmethod; InboxServer(
# smtpd.SMTPServer, object) with __init__(localaddr, handler) via super(), a
# handle_accept keeping ONLY THE LAST channel in self._channel, and a 4-argument
# process_message that would hand the message and that last channel's user and password
# to the handler; serve_smtp(host, port, handler=None) with a default printing handler,
# the server unkept, a log line and asyncore.loop(). (The port is printed from the unkept
# object's socket in the same expression.)
import asyncore
import base64
import email
import logging
import smtpd
import socket

from _record import record

log = logging.getLogger(__name__)


class SMTPChannelWithAuth(smtpd.SMTPChannel):

    def __init__(self, server, conn, addr):
        smtpd.SMTPChannel.__init__(self, server, conn, addr)
        self.user = None
        self.password = None
        self.fqdn = socket.getfqdn()

    def smtp_EHLO(self, arg):
        self.push("250-%s\r\n"
                  "250 AUTH PLAIN" % self.fqdn)

    def smtp_AUTH(self, arg):
        try:
            user, password = self.decode_plain_auth(arg)
        except ValueError:
            self.push("535 5.7.8  Authentication credentials invalid")
        else:
            self.push("235 2.7.0  Authentication Succeeded")
            self.user, self.password = user, password

    def smtp_MAIL(self, arg):
        if not (self.user and self.password):
            self.push("530 5.7.0  Authentication required")
            return
        smtpd.SMTPChannel.smtp_MAIL(self, arg)

    @staticmethod
    def decode_plain_auth(arg):
        user_password = arg.split()[-1]
        user_password = base64.b64decode(user_password)
        return user_password.split("\0", 3)[1:]


class InboxServer(smtpd.SMTPServer, object):  # noqa: UP004

    def __init__(self, localaddr, handler):
        super(InboxServer, self).__init__(localaddr, None)  # noqa: UP008
        self._handler = handler
        self._channel = None

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            self._channel = SMTPChannelWithAuth(self, conn, addr)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        log.info("Storing message to inbox: '{0}' (from: {1}, to: {2})".format(  # noqa: UP030, UP032
            self._channel.user, mailfrom, rcpttos))
        message = email.message_from_string(data)
        return self._handler(to=rcpttos, sender=mailfrom, message=message, body=data,
                             user=self._channel.user, password=self._channel.password)


def serve_smtp(host="127.0.0.1", port=10252, handler=None):
    if handler is None:

        def handler(to, sender, *args, **kwargs):
            print(to, sender)

    print(InboxServer((host, port), handler).socket.getsockname()[1], flush=True)
    log.info("Running SMTP server on %s:%s", host, port)
    asyncore.loop()


if __name__ == "__main__":
    serve_smtp(port=0)
