# Shape: a disposable-mail site's SMTP process: CustomSMTPServer(smtpd.SMTPServer) with a
# 4-argument process_message (default decode_data: TypeError on every message under
# Python 3) that parses the data with Parser().parsestr and saves a Mail model row
# (recipient, sender, subject) through save_email(); Sh8MailProcess(multiprocessing.
# Process) whose run() builds the server and calls asyncore.loop(). The parent starts
# the process and joins it; at Ctrl+C it terminates the child, joins it and reports its
# exit code.
import asyncore
import multiprocessing
import signal
import smtpd
from email.parser import Parser

from _record import record


class Mail:
    objects = []

    def __init__(self, recepient, sender, subject):
        self.recepient = recepient
        self.sender = sender
        self.subject = subject

    def save(self):
        Mail.objects.append(self)
        print("saved mail for %s: %s" % (self.recepient, self.subject))


class CustomSMTPServer(smtpd.SMTPServer):

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        body = Parser().parsestr(data)
        self.save_email(body)
        pass

    def save_email(self, body):
        m = Mail(recepient=body["to"], sender=body["from"],
                 subject=body["subject"])
        m.save()


class Sh8MailProcess(multiprocessing.Process):
    def run(self):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C
        self.server = CustomSMTPServer(("127.0.0.1", 0), None)
        print(self.server.socket.getsockname()[1], flush=True)
        asyncore.loop()


if __name__ == "__main__":
    process = Sh8MailProcess()
    process.start()
    try:
        process.join()
    except KeyboardInterrupt:
        process.terminate()
        process.join()
        print("mail process stopped, exit code", process.exitcode)
