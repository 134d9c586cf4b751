# Shape: a "simple SMTP server that drops what it gets" load-test target: an optional gevent
# import with monkey.patch_all() in try/except ImportError; MyChannel(SMTPChannel) with an
# extra smtpid __init__ argument, an smtp_EHLO that checks
# isinstance(self._SMTPChannel__greeting, str), sets it to 0, pushes a bare "250CMEXPN"
# line and then calls smtp_HELO (two replies to one command), a new CMEXPN verb, smtp_MAIL/
# RCPT/DATA overrides that only call the base by name, collect_incoming_data counting bytes;
# MySmtpSvr printing in __init__, counting accepts under a Lock in a Py2-style handle_accept,
# a 4-argument process_message that does nothing (default decode_data);
# try: asyncore.loop() except KeyboardInterrupt: server.close().
"""
Simple SMTP server: every message it gets is dropped.
host and port have to be configured.
"""
import asyncore
import threading
from smtpd import SMTPChannel, SMTPServer

from _record import record

try:
    from gevent import monkey, sleep  # noqa: F401

    monkey.patch_all()
    print("support gevent")
except ImportError:
    pass

host = "127.0.0.1"
port = 0


class MyChannel(SMTPChannel):
    def __init__(self, server, conn, addr, smtpid):
        SMTPChannel.__init__(self, server, conn, addr)
        self.smtpid = smtpid
        self.datalen = 0

    def smtp_EHLO(self, arg):
        if isinstance(self._SMTPChannel__greeting, str):
            self._SMTPChannel__greeting = 0
            self.push("250CMEXPN")
            self.smtp_HELO(arg)

    def smtp_CMEXPN(self, arg):
        self.push("250 %s" % arg)

    def smtp_MAIL(self, arg):
        SMTPChannel.smtp_MAIL(self, arg)

    def smtp_RCPT(self, arg):
        SMTPChannel.smtp_RCPT(self, arg)

    def smtp_DATA(self, arg):
        SMTPChannel.smtp_DATA(self, arg)

    def collect_incoming_data(self, data):
        SMTPChannel.collect_incoming_data(self, data)
        self.datalen += len(data)
        self.datalen += 1


class MySmtpSvr(SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        print("listen smtp in ", localaddr)
        SMTPServer.__init__(self, localaddr, remoteaddr)
        self.nAcceptCnt = 0
        self.lock = threading.Lock()

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        pass

    def handle_accept(self):
        conn, addr = self.accept()
        nCnt = 0
        with self.lock:
            self.nAcceptCnt += 1
            nCnt = self.nAcceptCnt
        print("Accept client[{}] {}".format(nCnt, addr[0]))  # noqa: UP032
        channel = MyChannel(self, conn, addr, nCnt)  # noqa: F841


if __name__ == "__main__":
    server = MySmtpSvr((host, port), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        server.close()
