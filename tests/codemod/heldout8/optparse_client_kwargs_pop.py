# Shape: a small "forward everything to my real relay" script: main() parses --host,
# -p/--port, -s/--ssl, -t/--tls, -l/--login with optparse, builds a MailClient (a wrapper
# around smtplib that connects in its own __init__ and reconnects once when a sendmail
# fails) and MailServer(('0.0.0.0', 8826), None, smtp_client=client), then a bare
# asyncore.loop(); MailServer.__init__(*args, **kwargs) pops smtp_client out of kwargs
# before calling SMTPServer.__init__ by name; a 4-argument process_message (default
# decode_data: TypeError on every message under Python 3) hands the message to the client.
# (Run without --host: smtplib.SMTP('') makes a client that is not connected, and the
# method that would use it never runs; the server binds 127.0.0.1 port 0.)
import asyncore
import smtpd
import smtplib
from getpass import getpass
from optparse import OptionParser

from _record import record


def main():
    parser = OptionParser()
    parser.add_option("--host", dest="host", default="")
    parser.add_option("-p", "--port", dest="port", default=25)
    parser.add_option("-s", "--ssl", dest="ssl", action="store_true", default=False)
    parser.add_option("-t", "--tls", dest="tls", action="store_true", default=False)
    parser.add_option("-l", "--login", dest="login", action="store_true", default=False)
    (options, args) = parser.parse_args()
    if options.login:
        username = input("Username:")
        password = getpass("Password:")
    else:
        username = password = None
    smtp_client = MailClient(options.host, int(options.port), options.ssl, options.tls,
                             username, password)
    server = MailServer(("127.0.0.1", 0), None, smtp_client=smtp_client)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()


class MailClient(object):  # noqa: UP004

    def __init__(self, host, port, ssl, tls, username, password):
        self.host, self.port, self.ssl, self.tls, self.username, self.password = \
            host, port, ssl, tls, username, password
        self._client = None
        self._connect()

    def sendmail(self, mailfrom, rcpttos, data):
        print("Sending mail to %s" % rcpttos)
        try:
            self._client.sendmail(mailfrom, rcpttos, data)
        except Exception:
            self._connect()
            self._client.sendmail(mailfrom, rcpttos, data)

    def _connect(self):
        if self.ssl:
            self._client = smtplib.SMTP_SSL(self.host, int(self.port))
        else:
            self._client = smtplib.SMTP(self.host, int(self.port))
        if self.tls:
            self._client.starttls()
        if self.username:
            self._client.login(self.username, self.password)


class MailServer(smtpd.SMTPServer):

    def __init__(self, *args, **kwargs):
        self._client = kwargs.pop("smtp_client")
        smtpd.SMTPServer.__init__(self, *args, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self._client.sendmail(mailfrom, rcpttos, data)


if __name__ == "__main__":
    main()
