# Shape: a pytest plugin's mail server: class MailServer(smtpd.SMTPServer,
# threading.Thread) with host and port read back from self.socket, decode_data=True,
# RecordedMessage namedtuples in a list, a _stopevent, the thread named after the
# class, __enter__/__exit__ starting and stopping it, run() polling
# asyncore.loop(timeout, count=1) until the event is set.
import asyncore
import smtpd
import sys
import threading
from collections import namedtuple

from _record import record

RecordedMessage = namedtuple("RecordedMessage", "peer mailfrom rcpttos data")


class MailServer(smtpd.SMTPServer, threading.Thread):
    def __init__(self, host="localhost", port=0):
        smtpd.SMTPServer.__init__(self, (host, port), None, decode_data=True)
        self.host, self.port = self.socket.getsockname()[0:2]
        self.messages = []
        self._stopevent = threading.Event()
        self.threadName = self.__class__.__name__
        threading.Thread.__init__(self, name=self.threadName)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *args):
        self.stop()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.messages.append(RecordedMessage(peer, mailfrom, rcpttos, data))

    def run(self):
        while not self._stopevent.is_set():
            asyncore.loop(timeout=0.001, count=1)

    def stop(self, timeout=None):
        self._stopevent.set()
        threading.Thread.join(self, timeout)
        self.close()


if __name__ == "__main__":
    with MailServer("127.0.0.1") as server:
        print(server.port, flush=True)
        sys.stdin.readline()
    for message in server.messages:
        print(message.mailfrom, message.rcpttos, message.data.splitlines()[0])
