# Django's FakeSMTPServer test helper: SMTPServer and Thread in one class, a polling run()
# under a lock, start() waiting for run() to begin, stop() clearing the flag and joining.
import asyncore
import smtpd
import sys
import threading

from _record import record


class FakeSMTPServer(smtpd.SMTPServer, threading.Thread):
    """Asyncore SMTP server wrapped into a thread."""

    def __init__(self, localaddr, remoteaddr):
        threading.Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr, decode_data=True)
        self._sink = []
        self.active = False
        self.active_lock = threading.Lock()
        self.sink_lock = threading.Lock()

    def process_message(self, peer, mailfrom, rcpttos, data):
        if "nobody@" in rcpttos[0]:
            return "553 Requested action not taken: mailbox name not allowed"
        record(peer, mailfrom, rcpttos, data)
        with self.sink_lock:
            self._sink.append(data)

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


server = FakeSMTPServer(("127.0.0.1", 0), None)
port = server.socket.getsockname()[1]
server.start()
print(port, flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
print("received", len(server.get_sink()), flush=True)
server.flush_sink()
server.stop()
server.stop()
print("stopped", server.active, len(server.get_sink()), flush=True)
