# Shape: a P2P messenger's SMTP gateway: a channel whose smtp_EHLO pushes a product line
# and "250 AUTH PLAIN" as two pushes, smtp_AUTH checking PLAIN credentials from the
# settings (501 on any failure, 235 on success, self.auth), smtp_DATA answering 530 until
# authenticated and then calling the base; a server whose Py2-style handle_accept keeps
# the channel as self.channel and a 4-argument process_message (default decode_data)
# reading self.channel.auth, parsing headers and relaying per recipient; a stoppable
# Thread owning the server (asyncore.loop(1)), a SIGINT/SIGTERM handler stopping such
# threads, and a main that joins it.
import asyncore
import base64
import re
import signal
import smtpd
import threading
from email.parser import Parser

from _record import record

SMTPDOMAIN = "bmaddr.lan"
LISTENPORT = 0
softwareVersion = "0.6.3"
settings = {"smtpdusername": "user", "smtpdpassword": "secret"}


class StoppableThread(object):  # noqa: UP004
    def initStop(self):
        self.stop = threading.Event()
        self._stopped = False

    def stopThread(self):
        self._stopped = True
        self.stop.set()


class smtpServerChannel(smtpd.SMTPChannel):
    """Asyncore channel for SMTP protocol (server)"""

    def smtp_EHLO(self, arg):
        if not arg:
            self.push("501 Syntax: HELO hostname")
            return
        self.push("250-PyMessenger %s" % softwareVersion)
        self.push("250 AUTH PLAIN")

    def smtp_AUTH(self, arg):
        if not arg or arg[0:5] not in ["PLAIN"]:
            self.push("501 Syntax: AUTH PLAIN")
            return
        authstring = arg[6:]
        try:
            decoded = base64.b64decode(authstring).decode("utf-8")
            correctauth = "\x00" + settings["smtpdusername"] + "\x00" + settings["smtpdpassword"]
            if correctauth == decoded:
                self.auth = True
                self.push("235 2.7.0 Authentication successful")
            else:
                raise Exception("Auth fail")
        except Exception:
            self.push("501 Authentication fail")

    def smtp_DATA(self, arg):
        if not hasattr(self, "auth") or not self.auth:
            self.push("530 Authentication required")
            return
        smtpd.SMTPChannel.smtp_DATA(self, arg)


class smtpServerMessenger(smtpd.SMTPServer):
    """Asyncore SMTP server class"""

    def handle_accept(self):
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            self.channel = smtpServerChannel(self, conn, addr)

    def send(self, fromAddress, toAddress, subject, message):
        print("queued message from %s to %s about %s" % (fromAddress, toAddress, subject))

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        p = re.compile(".*<([^>]+)>")
        if not hasattr(self.channel, "auth") or not self.channel.auth:
            print("Missing or invalid auth")
            return
        try:
            self.msg_headers = Parser().parsestr(data)
        except Exception:
            print("Invalid headers")
            return
        sender = p.sub(r"\1", mailfrom).split("@")[0]
        subject = self.msg_headers["subject"] or "Subject missing..."
        for to in rcpttos:
            try:
                rcpt, domain = p.sub(r"\1", to).split("@")
                if domain != SMTPDOMAIN:
                    raise Exception("Bad domain %s" % domain)
                self.send(sender, rcpt, subject, data)
            except Exception as err:
                print("Bad to %s: %s" % (to, repr(err)))
                continue
        return


class smtpServer(threading.Thread, StoppableThread):
    """SMTP server thread"""

    def __init__(self, parent=None):
        threading.Thread.__init__(self, name="smtpServerThread")
        self.initStop()
        self.server = smtpServerMessenger(("127.0.0.1", LISTENPORT), None)

    def stopThread(self):
        super(smtpServer, self).stopThread()  # noqa: UP008
        self.server.close()
        return

    def run(self):
        asyncore.loop(1)


def signals(sig, frame):
    print("Got signal, terminating")
    for thread in threading.enumerate():
        if thread.is_alive() and isinstance(thread, StoppableThread):
            thread.stopThread()


def runServer():
    print("Running SMTPd thread")
    smtpThread = smtpServer()
    smtpThread.start()
    signal.signal(signal.SIGINT, signals)
    signal.signal(signal.SIGTERM, signals)
    print(smtpThread.server.socket.getsockname()[1], flush=True)
    print("Processing")
    smtpThread.join()
    print("The end")


if __name__ == "__main__":
    runServer()
