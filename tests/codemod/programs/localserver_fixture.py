# A pytest-localserver style SMTP fixture: a Thread subclass polling until an Event is
# set, stop() joining with a timeout and closing, the messages kept in an outbox.
import asyncore
import smtpd
import sys
import threading

from _record import record


class Server(smtpd.SMTPServer, threading.Thread):
    WAIT_BETWEEN_CHECKS = 0.05

    def __init__(self, host="127.0.0.1", port=0):
        smtpd.SMTPServer.__init__(self, (host, port), None)
        self.outbox = []
        self._stopevent = threading.Event()
        self.threadName = self.__class__.__name__
        threading.Thread.__init__(self, name=self.threadName)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.outbox.append((mailfrom, rcpttos, data))

    def run(self):
        while not self._stopevent.is_set():
            asyncore.loop(timeout=self.WAIT_BETWEEN_CHECKS, count=1)

    @property
    def port(self):
        return self.socket.getsockname()[1]

    def stop(self, timeout=10):
        self._stopevent.set()
        threading.Thread.join(self, timeout)
        self.close()


def smtpserver():
    server = Server()
    server.start()
    return server


server = smtpserver()
print(server.port, flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
server.stop()
server.stop()
print("outbox", [(m, r) for m, r, _ in server.outbox], flush=True)
