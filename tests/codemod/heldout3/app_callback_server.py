# Shape: a messaging console application's "reply by mail" daemon: FakeSMTPD(app,
# bindaddr, port) calling SMTPServer.__init__ by name and keeping the application, a
# 4-argument process_message (default decode_data) parsing with message_from_string and
# handing the message to app.process_incoming_mail(); the app's main owns the loop.
import asyncore
import logging
import sys
from email import message_from_string
from smtpd import SMTPServer

from _record import record


class FakeSMTPD(SMTPServer):
    def __init__(self, app, bindaddr, port):
        SMTPServer.__init__(self, (bindaddr, port), None)
        self.app = app

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        msg = message_from_string(data)
        self.app.process_incoming_mail(msg)


class Mailboob:
    def __init__(self):
        self.logger = logging.getLogger("mailboob")

    def process_incoming_mail(self, msg):
        to = msg.get("To", "")
        print("reply to %r: %s" % (to, msg.get("Subject")))

    def main(self, bindaddr="127.0.0.1", port=0):
        self.smtpd = FakeSMTPD(self, bindaddr, port)
        print("listening", bindaddr)
        print(self.smtpd.socket.getsockname()[1], flush=True)
        try:
            asyncore.loop()
        except KeyboardInterrupt:
            print("interrupted")
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(Mailboob().main())
