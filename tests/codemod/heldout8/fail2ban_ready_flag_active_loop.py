# Shape: an intrusion-prevention tool's mail-action tests: TestSMTPServer(smtpd.SMTPServer)
# with __init__(*args) calling the base by name then setting self.ready = False, and a
# **kwargs process_message storing peer, mailfrom, rcpttos, the raw data and a decoded
# copy with folded header lines joined by re.sub (its own uni_decode helper for bytes),
# then ready = True; the TestCase's setUpClass/tearDownClass are plain functions (no
# @classmethod; they fetch `cls = SMTPActionTest` themselves) that build the server on
# port 0 and read the port back, then run the project's OWN loop function on a daemon
# thread ("because of a bug in asyncore.loop") with kwargs={'active': lambda: cls._active}
# (a while-active loop around asyncore.poll), and close the server, clear the flag and
# join; each test waits for the ready flag with a deadline (_exec_and_wait) and resets
# the captured attributes afterwards (_reset_smtpd). (The action under test is the dialogue
# here: the test waits for stdin to close, then reports the last message captured.)
import asyncore
import re
import smtpd
import sys
import threading
import time
import unittest

from _record import record


def uni_decode(x, enc="utf-8", errors="strict"):
    if isinstance(x, bytes):
        return x.decode(enc, errors)
    return x


def loop(active, timeout=None, use_poll=False):
    """Custom event loop: stops as soon as active() turns false, even when the map is
    not empty (asyncore.loop would wait for the map)."""
    poll = asyncore.poll2 if use_poll else asyncore.poll
    while active():
        poll(timeout if timeout is not None else 0.1)


class TestSMTPServer(smtpd.SMTPServer):

    def __init__(self, *args):
        smtpd.SMTPServer.__init__(self, *args)
        self.ready = False

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.peer = peer
        self.mailfrom = mailfrom
        self.rcpttos = rcpttos
        self.org_data = data
        # replace new line (with tab or space) for possible mime translations (word wrap),
        self.data = re.sub(r"\n[\t ]", " ", uni_decode(data))
        self.ready = True


class SMTPActionTest(unittest.TestCase):

    def setUpClass():
        """Call before tests."""
        cls = SMTPActionTest
        cls.smtpd = TestSMTPServer(("127.0.0.1", 0), None)
        cls.port = cls.smtpd.socket.getsockname()[1]

        cls._active = True
        cls._loop_thread = threading.Thread(
            target=loop, kwargs={"active": lambda: cls._active})
        cls._loop_thread.daemon = True
        cls._loop_thread.start()

    def tearDownClass():
        """Call after tests."""
        cls = SMTPActionTest
        cls.smtpd.close()
        cls._active = False
        cls._loop_thread.join()

    def _reset_smtpd(self):
        for a in ("mailfrom", "org_data", "data"):
            if hasattr(self.smtpd, a):
                delattr(self.smtpd, a)
        self.smtpd.ready = False

    def _exec_and_wait(self, doaction, timeout=5):
        doaction()
        deadline = time.monotonic() + timeout
        while not self.smtpd.ready and time.monotonic() < deadline:
            time.sleep(0.01)

    def testMessages(self):
        self._exec_and_wait(sys.stdin.read)
        print("ready:", self.smtpd.ready)
        print("mailfrom:", getattr(self.smtpd, "mailfrom", None))
        print("rcpttos:", getattr(self.smtpd, "rcpttos", None))
        print("subject line:", "Subject: round trip" in getattr(self.smtpd, "data", ""))
        self._reset_smtpd()


if __name__ == "__main__":
    SMTPActionTest.setUpClass()
    print(SMTPActionTest.port, flush=True)
    try:
        SMTPActionTest("testMessages").testMessages()
    finally:
        SMTPActionTest.tearDownClass()
    print("loop thread alive:", SMTPActionTest._loop_thread.is_alive())
