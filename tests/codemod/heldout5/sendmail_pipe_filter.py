# Shape: a spam-filtering relay: CustomSMTPServer(smtpd.SMTPServer) with mail_options=None,
# rcpt_options=None spelled out, printing the envelope, walking BytesParser().parsebytes(data)
# text parts through a filter() function (shadowing the builtin) that returns
# "550 Bad address: SPAM", else piping the data to a sendmail -t -oi subprocess with
# Popen(stdin=PIPE).communicate(data); a wrapper class named SMTPServer (not a subclass)
# whose start() runs Thread(target=asyncore.loop, kwargs={'timeout': 1}) and stop() closes
# and joins; the main thread sleeps until ^C. (The sendmail here is a stub script.)
import asyncore
import smtpd
import sys
import threading
import time
from email.parser import BytesParser
from subprocess import PIPE, Popen

from _record import record

SENDMAIL = [
    sys.executable,
    "-c",
    "import sys; open('sendmail.out', 'ab').write(sys.stdin.buffer.read() + b'\\n')",
]


def filter(text):  # noqa: A001
    """Non-ASCII text is spam, in this lab."""
    return any(ord(c) > 127 for c in text)


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        print("Receiving message from:", peer[0])
        print("Message addressed from:", mailfrom)
        print("Message addressed to:", rcpttos)
        print("Message length:", len(data))

        email = BytesParser().parsebytes(data)
        for part in email.walk():
            if part.get_content_maintype() == "text":
                text = part.get_payload()
                if filter(text):
                    print("[-] SPAM detected!")
                    return "550 Bad address: SPAM"

        p = Popen(SENDMAIL + ["-t", "-oi"], stdin=PIPE)
        p.communicate(data)
        return


class SMTPServer:
    def __init__(self):
        self.port = 0

    def start(self):
        """Start listening on self.port"""
        # create an instance of the SMTP server, derived from asyncore.dispatcher
        self.smtp = CustomSMTPServer(("127.0.0.1", self.port), None)
        # start the asyncore loop, listening for SMTP connection, within a thread;
        # timeout parameter is important, otherwise code will block 30 seconds after the
        # smtp channel has been closed
        kwargs = {"timeout": 1}
        self.thread = threading.Thread(target=asyncore.loop, kwargs=kwargs)
        self.thread.start()

    def stop(self):
        """Stop listening now to port"""
        # close the SMTPserver to ensure no channels connect to asyncore
        self.smtp.close()
        # now it is safe to wait for asyncore.loop() to exit
        self.thread.join()


if __name__ == "__main__":
    server = SMTPServer()
    server.start()
    print(server.smtp.socket.getsockname()[1], flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        server.stop()
        print("stopped")
