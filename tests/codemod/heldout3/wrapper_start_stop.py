# Shape: a network-test library's SMTP helper: a do-nothing CustomSMTPServer
# (**kwargs process_message, pass) and a plain SmtpServer wrapper class whose start()
# creates it and runs Thread(target=asyncore.loop, kwargs={"timeout": 1}) and whose
# stop() closes the server and joins the thread, printing a line each.
import asyncore
import smtpd
import sys
import threading

from _record import record

SMTP_SERVER = "127.0.0.1"
SMTP_PORT = 0


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


class SmtpServer:
    def __init__(self, hostname=SMTP_SERVER, port=SMTP_PORT):
        self.hostname = hostname
        self.port = port
        self.smtp = None
        self.thread = None

    def start(self):
        """Start the listening service"""
        print("SMTP: Server starts - {}".format(self.hostname))  # noqa: UP032
        self.smtp = CustomSMTPServer((self.hostname, self.port), None)
        self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 1})
        self.thread.start()

    def stop(self):
        """Stop listening now"""
        self.smtp.close()
        self.thread.join()
        print("SMTP: Server stops - {}".format(self.hostname))  # noqa: UP032


if __name__ == "__main__":
    service = SmtpServer()
    service.start()
    print(service.smtp.socket.getsockname()[1], flush=True)
    sys.stdin.readline()
    service.stop()
