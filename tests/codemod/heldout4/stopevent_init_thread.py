# Shape: a mail-to-printer gadget: MySMTPServer(localaddr, remoteaddr) calling the base
# by name, a 4-argument process_message (default decode_data) that hands the data to a
# module-level handleMessage() inside a bare try/except: pass; MyEmailServer(Thread)
# creating the server in __init__ with a _stopevent, run() polling
# asyncore.loop(timeout=0.001, count=1) until the event isSet(), and
# stop(timeout=None) setting it, joining and closing the server.
import asyncore
import email
import smtpd
import sys
import threading

from _record import record


def handleMessage(data):
    message = email.message_from_string(data)
    print("Printing mail:", message["subject"])
    print("Sending reply to " + str(message["from"]) + "...")


class MySMTPServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        try:
            handleMessage(data)
        except:  # noqa: E722
            pass


class MyEmailServer(threading.Thread):
    def __init__(self, ipport):
        threading.Thread.__init__(self)
        self._stopevent = threading.Event()
        self.server = MySMTPServer(ipport, None)

    def run(self):
        while not self._stopevent.isSet():
            asyncore.loop(timeout=0.001, count=1)

    def stop(self, timeout=None):
        self._stopevent.set()
        threading.Thread.join(self, timeout)
        self.server.close()


if __name__ == "__main__":
    mail_server = MyEmailServer(("127.0.0.1", 0))
    mail_server.start()
    print(mail_server.server.socket.getsockname()[1], flush=True)
    sys.stdin.readline()
    mail_server.stop()
    print("mail server stopped")
