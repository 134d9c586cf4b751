# Shape: a pytest plugin's SMTP test server module: Server(smtpd.SMTPServer,
# threading.Thread) with a WAIT_BETWEEN_CHECKS class attribute, __init__(host='localhost',
# port=0, rootdir=None) calling smtpd.SMTPServer.__init__ by name first, reading
# self._localaddr[1] == 0 to learn the bound address, opening a mailbox.Maildir
# under rootdir (the system temp dir by default, asserted to exist) as self.outbox, then
# a _stopevent Event, a thread name from the class and threading.Thread.__init__(self,
# name=...) last; a 4-argument process_message (default decode_data: TypeError on every
# message under Python 3) that would parse the data with email.message_from_string and
# add it to the Maildir; run() polling asyncore.loop(timeout=WAIT_BETWEEN_CHECKS,
# count=1) until the event is set; stop(timeout=None) setting it, joining and closing;
# a __repr__ with the address; and a __main__ that starts it, prints where it runs and
# sleeps until Ctrl+C, then stops it in a finally. (The address comes from
# self.socket.getsockname(), which 3.11's dispatcher needs; rootdir is the program's own
# directory; 127.0.0.1.)
import asyncore
import email
import os
import smtpd
import threading
from mailbox import Maildir

from _record import record


class Server(smtpd.SMTPServer, threading.Thread):

    WAIT_BETWEEN_CHECKS = 0.001

    def __init__(self, host="localhost", port=0, rootdir=None):
        smtpd.SMTPServer.__init__(self, (host, port), None)
        if self._localaddr[1] == 0:
            self.addr = self.socket.getsockname()

        # if no root dir for Maildir is specified
        # use system's tmp dir
        if rootdir is None:
            import tempfile
            rootdir = tempfile.gettempdir()

        assert os.path.isdir(rootdir), \
            "Make sure that directory %s exists!" % rootdir
        self.outbox = Maildir(os.path.join(rootdir, "Maildir"), None, True)

        # initialise thread
        self._stopevent = threading.Event()
        self.threadName = self.__class__.__name__
        threading.Thread.__init__(self, name=self.threadName)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        msg = email.message_from_string(data)
        self.outbox.add(msg)

    def run(self):
        while not self._stopevent.is_set():
            asyncore.loop(timeout=self.WAIT_BETWEEN_CHECKS, count=1)

    def stop(self, timeout=None):
        self._stopevent.set()
        threading.Thread.join(self, timeout)
        self.close()

    def __repr__(self):
        return "<smtp.Server %s:%s>" % self.addr


if __name__ == "__main__":
    import time

    server = Server(host="127.0.0.1", rootdir=".")
    server.start()

    print(server.addr[1], flush=True)
    print("SMTP server is running on %s" % server.addr[0])
    print("Type <Ctrl-C> to stop")

    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("\rstopping...")
    finally:
        server.stop()
    print("messages in the Maildir:", len(server.outbox))
