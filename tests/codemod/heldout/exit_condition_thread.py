# Shape: a loop-thread helper as in a large web project's test suite: wrap_loop polls
# asyncore.loop(count=1) over asyncore.socket_map while an exit-condition list is empty;
# start() runs it on a daemon thread, stop() appends to the list and joins.
import asyncore
import smtpd
import sys
import threading

from _record import record


class LoopThread:
    def wrap_loop(self, exit_condition, timeout=0.1, use_poll=False, map=None):
        if map is None:
            map = asyncore.socket_map
        while map and not exit_condition:
            asyncore.loop(timeout=timeout, use_poll=use_poll, map=map, count=1)

    def start(self):
        self.exit_condition = []
        kwargs = {"exit_condition": self.exit_condition, "timeout": 0.1}
        self.thread = threading.Thread(target=self.wrap_loop, kwargs=kwargs)
        self.thread.daemon = True
        self.thread.start()

    def stop(self):
        self.exit_condition.append(True)
        self.thread.join(10)


class OutboxServer(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.outbox = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.outbox.append(mailfrom)


class TestMailServer(LoopThread):
    def start(self):
        self.server = OutboxServer(("127.0.0.1", 0), None)
        LoopThread.start(self)

    def stop(self):
        self.server.close()
        LoopThread.stop(self)


service = TestMailServer()
service.start()
print(service.server.socket.getsockname()[1], flush=True)
sys.stdin.readline()
service.stop()
print("outbox", service.server.outbox, "stopped", not service.thread.is_alive(), flush=True)
