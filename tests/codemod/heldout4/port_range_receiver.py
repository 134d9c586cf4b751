# Shape: a web platform's test utilities: MockSmtpServer with a class-level queue.Queue,
# __init__(localaddr, remoteaddr, decode_data=False) passing decode_data only on Python 3
# (through a kwargs dict) to smtpd.SMTPServer.__init__ by name, **kwargs process_message
# putting the data on the queue; a MockSmtpReceiver whose start() tries ports from a base
# biased by the pid until one binds (EADDRINUSE skipped), runs a loop() method
# (while asyncore.socket_map: asyncore.loop(timeout=0.5, use_poll=True)) on a thread,
# stop() closes and joins, getMail(parse) pops and parses bytes or str.
import asyncore
import email
import errno
import os
import smtpd
import sys
import threading
import time
from queue import Queue

from _record import record

_startPort = 31000
_maxTries = 100


class MockSmtpServer(smtpd.SMTPServer):
    mailQueue = Queue()

    def __init__(self, localaddr, remoteaddr, decode_data=False):
        kwargs = {}
        if sys.version_info[0] >= 3:  # noqa: UP036
            # Python 3.5+ warns if decode_data isn't given explicitly
            kwargs["decode_data"] = decode_data
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.mailQueue.put(data)


class MockSmtpReceiver(object):  # noqa: UP004
    def __init__(self):
        self.address = None
        self.smtp = None
        self.thread = None

    def start(self):
        """Start the mock SMTP server on the first free port of the range."""
        for porttry in range(_maxTries):
            port = _startPort + ((porttry + os.getpid()) % _maxTries)
            try:
                self.address = ("127.0.0.1", port)
                self.smtp = MockSmtpServer(self.address, None)
                break
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    raise
        else:
            raise Exception("Could not bind to any port for Mock SMTP server")

        self.thread = threading.Thread(target=self.loop)
        self.thread.start()

    def loop(self):
        """Wrap asyncore.loop with a small timeout so that stop() is noticed."""
        while len(asyncore.socket_map):
            asyncore.loop(timeout=0.5, use_poll=True)

    def stop(self):
        """Stop the mock SMTP server"""
        self.smtp.close()
        self.thread.join()

    def getMail(self, parse=False):
        msg = self.smtp.mailQueue.get(block=False)
        if parse:
            if isinstance(msg, bytes):
                return email.message_from_bytes(msg)
            return email.message_from_string(msg)
        return msg

    def isMailQueueEmpty(self):
        return self.smtp.mailQueue.empty()

    def waitForMail(self, timeout=10):
        startTime = time.time()
        while True:
            if not self.isMailQueueEmpty():
                return True
            if time.time() > startTime + timeout:
                return False
            time.sleep(0.1)


if __name__ == "__main__":
    receiver = MockSmtpReceiver()
    receiver.start()
    print(receiver.address[1], flush=True)
    sys.stdin.readline()
    print("mail waiting:", receiver.waitForMail(timeout=1))
    while not receiver.isMailQueueEmpty():
        message = receiver.getMail(parse=True)
        print("got:", message["Subject"], message.get_payload().splitlines()[0])
    receiver.stop()
    print("stopped")
