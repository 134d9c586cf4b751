# Shape: a data-profiling project's test mail helper, two snippets pasted into one module:
# first "from smtpd import SMTPServer" and the EmlServer recipe (class counter, explicit
# mail_options=None/rcpt_options=None, numbered .eml files; never used here), then
# CustomSMTPServer(smtpd.SMTPServer) printing the envelope with the same explicit options
# and keeping the messages in a module list, and a wrapper class itself named SMTPServer
# (rebinding the imported name) whose start() builds CustomSMTPServer and runs
# Thread(target=asyncore.loop, kwargs={'timeout': 1, 'use_poll': True}), stop() closes the
# server then joins the thread, get() returns the messages. (Run by hand: start, wait for
# stdin to close, stop, print what get() returns.)
import asyncore
import smtpd
import sys
import threading
from smtpd import SMTPServer

from _record import record

RECEIVED = []


class EmlServer(SMTPServer):
    no = 0

    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None,
                        rcpt_options=None):
        filename = "%d.eml" % self.no
        with open(filename, "wb") as f:
            f.write(data)
        print("%s saved." % filename)
        self.no += 1


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None,
                        rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options,
               rcpt_options=rcpt_options)
        print("Receiving message from:", peer[0])
        print("Message addressed from:", mailfrom)
        print("Message addressed to:", rcpttos)
        print("Message length:", len(data))
        RECEIVED.append((mailfrom, rcpttos, data))
        return


class SMTPServer():  # noqa: UP039
    def __init__(self):
        self.port = 0

    def start(self):
        """Start listening on self.port"""
        self.smtp = CustomSMTPServer(("127.0.0.1", self.port), None)
        self.port = self.smtp.socket.getsockname()[1]
        kwargs = {"timeout": 1, "use_poll": True}
        self.thread = threading.Thread(target=asyncore.loop, kwargs=kwargs)
        self.thread.start()

    def stop(self):
        """Stop listening to self.port"""
        self.smtp.close()
        self.thread.join()

    def get(self):
        """Return all emails received so far"""
        return list(RECEIVED)


if __name__ == "__main__":
    mail = SMTPServer()
    mail.start()
    print(mail.port, flush=True)
    sys.stdin.read()
    mail.stop()
    for mailfrom, rcpttos, data in mail.get():
        print("got:", mailfrom, "->", ", ".join(rcpttos), len(data))
