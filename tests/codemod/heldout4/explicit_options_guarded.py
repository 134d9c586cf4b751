# Shape: a "simple Python SMTP server" after PyMOTW: SimpleSMTPServer whose
# process_message spells out mail_options=None, rcpt_options=None, prints str.format lines
# (with the original's "lenght" typo) and returns; the server built with remoteaddr=None
# as a keyword and the loop, both inside one try/except Exception that prints the error.
import asyncore
import smtpd

from _record import record


class SimpleSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        print("Receiving message from {0}.".format(peer[0]))  # noqa: UP030, UP032
        print("Message addressed from {0}.".format(mailfrom))  # noqa: UP030, UP032
        print("Message addressed to {0}.".format(rcpttos))  # noqa: UP030, UP032
        print("Message lenght: {0}.".format(len(data)))  # noqa: UP030, UP032
        return


try:
    server = SimpleSMTPServer(("127.0.0.1", 0), remoteaddr=None)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()
except Exception as error:
    print(error)
