# Shape: an old "SMTP mail sink" recipe: a __version__ class attribute (which changes
# nothing), (*args, **kwargs) init, a setter for a file object written in mbox style,
# and a Thread wrapper class with start/stop and the mailbox contents read back.
import asyncore
import io
import smtpd
import sys
import threading

from _record import record


class SmtpMailsinkServer(smtpd.SMTPServer):
    __version__ = "Python SMTP Mail Sink version 0.1"

    def __init__(self, *args, **kwargs):
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self.mailbox_file = None

    def set_mailsink_file(self, mailbox_file):
        self.mailbox_file = mailbox_file

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if self.mailbox_file is not None:
            self.mailbox_file.write("From %s\n" % mailfrom)
            self.mailbox_file.write(data)
            self.mailbox_file.write("\n\n")


class SmtpMailsink(threading.Thread):
    def __init__(self, host="127.0.0.1", port=0):
        threading.Thread.__init__(self)
        self.mailbox = io.StringIO()
        self.server = SmtpMailsinkServer((host, port), None, decode_data=True)
        self.server.set_mailsink_file(self.mailbox)

    def run(self):
        asyncore.loop(timeout=0.1)

    def stop(self):
        self.server.close()
        self.join(10)

    def mailbox_contents(self):
        return self.mailbox.getvalue()


sink = SmtpMailsink()
sink.start()
print(sink.server.socket.getsockname()[1], flush=True)
sys.stdin.readline()
sink.stop()
print(sink.mailbox_contents(), flush=True)
