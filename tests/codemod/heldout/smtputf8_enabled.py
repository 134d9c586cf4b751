# Shape: the stdlib smtplib tests' SMTPUTF8 server: enable_SMTPUTF8=True, the mail
# options handed to process_message kept, the last message's options printed at exit.
import asyncore
import smtpd

from _record import record


class UTF8Server(smtpd.SMTPServer):
    last_mail_options = None

    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        self.last_mail_options = mail_options


utf8_server = UTF8Server(("127.0.0.1", 0), None, enable_SMTPUTF8=True)
print(utf8_server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("last options", utf8_server.last_mail_options)
