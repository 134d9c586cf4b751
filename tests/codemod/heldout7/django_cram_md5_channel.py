# Shape: a web framework's mail backend tests (the later form): FakeSMTPChannel(
# smtpd.SMTPChannel) whose collect_incoming_data calls the base by name and ignores
# UnicodeDecodeError, and whose smtp_AUTH answers a fixed CRAM-MD5 challenge (334) and
# '502 Error: login "..." not implemented' otherwise; FakeSMTPServer(smtpd.SMTPServer,
# threading.Thread) with channel_class, __init__(*args, **kwargs) initialising the Thread
# then calling smtpd.SMTPServer.__init__(self, *args, decode_data=True, **kwargs), a sink
# list and two locks; a 4-argument process_message that re-encodes the str data,
# parses it with message_from_bytes, compares the envelope sender with the From: header
# (retrying with a Header-encoded local part) and returns "553 'x' != 'y'" on a mismatch,
# else appends to the sink under the lock; start() asserting not active, making a
# name-mangled self.__flag Event, starting the thread and waiting on the flag; run()
# setting active, the flag, then `while self.active and asyncore.socket_map:` one
# asyncore.loop(timeout=0.1, count=1) per pass under active_lock, asyncore.close_all() at
# the end; stop() clearing active and joining. setUpClass builds it on ('127.0.0.1', 0)
# and overrides the EMAIL_PORT setting; tearDownClass stops it. (Settings are a dict here;
# the test waits for stdin to close and prints the sink.)
import asyncore
import base64
import smtpd
import sys
import threading
from email import message_from_bytes
from email.header import Header
from email.utils import parseaddr

from _record import record

SETTINGS = {"EMAIL_HOST": "localhost", "EMAIL_PORT": 25}


class FakeSMTPChannel(smtpd.SMTPChannel):

    def collect_incoming_data(self, data):
        try:
            smtpd.SMTPChannel.collect_incoming_data(self, data)
        except UnicodeDecodeError:
            # Ignore decode error in SSL/TLS connection tests as the test only
            # cares whether the connection attempt was made.
            pass

    def smtp_AUTH(self, arg):
        if arg == "CRAM-MD5":
            # This is only the first part of the login process. But it's enough
            # for our tests.
            challenge = base64.b64encode(b"somerandomstring13579")
            self.push("334 %s" % challenge.decode())
        else:
            self.push('502 Error: login "%s" not implemented' % arg)


class FakeSMTPServer(smtpd.SMTPServer, threading.Thread):
    """
    Asyncore SMTP server wrapped into a thread. Based on DummyFTPServer from
    the standard library's ftplib tests.
    """
    channel_class = FakeSMTPChannel

    def __init__(self, *args, **kwargs):
        threading.Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, *args, decode_data=True, **kwargs)
        self._sink = []
        self.active = False
        self.active_lock = threading.Lock()
        self.sink_lock = threading.Lock()

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        data = data.encode()
        m = message_from_bytes(data)
        maddr = parseaddr(m.get("from"))[1]

        if mailfrom != maddr:
            # According to the spec, mailfrom does not necessarily match the
            # From header - this is the case where the local part isn't
            # encoded, so try to correct that.
            lp, domain = mailfrom.split("@", 1)
            lp = Header(lp, "utf-8").encode()
            mailfrom = "@".join([lp, domain])

        if mailfrom != maddr:
            return "553 '%s' != '%s'" % (mailfrom, maddr)
        with self.sink_lock:
            self._sink.append(m)

    def get_sink(self):
        with self.sink_lock:
            return self._sink[:]

    def flush_sink(self):
        with self.sink_lock:
            self._sink[:] = []

    def start(self):
        assert not self.active
        self.__flag = threading.Event()
        threading.Thread.start(self)
        self.__flag.wait()

    def run(self):
        self.active = True
        self.__flag.set()
        while self.active and asyncore.socket_map:
            with self.active_lock:
                asyncore.loop(timeout=0.1, count=1)
        asyncore.close_all()

    def stop(self):
        if self.active:
            self.active = False
            self.join()


class SMTPBackendTestsBase:
    @classmethod
    def setUpClass(cls):
        cls.server = FakeSMTPServer(("127.0.0.1", 0), None)
        cls._saved = dict(SETTINGS)
        SETTINGS.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=cls.server.socket.getsockname()[1])
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        SETTINGS.clear()
        SETTINGS.update(cls._saved)
        cls.server.stop()


class SMTPBackendTests(SMTPBackendTestsBase):
    def test_sink(self):
        sys.stdin.read()
        sink = self.server.get_sink()
        print("sink:", len(sink))
        self.server.flush_sink()


if __name__ == "__main__":
    SMTPBackendTests.setUpClass()
    print(SETTINGS["EMAIL_PORT"], flush=True)
    try:
        SMTPBackendTests().test_sink()
    finally:
        SMTPBackendTests.tearDownClass()
    print("active:", SMTPBackendTests.server.active, "port setting:", SETTINGS["EMAIL_PORT"])
