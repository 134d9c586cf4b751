# Shape: a web framework's mail tests: class FakeSMTPServer(smtpd.SMTPServer,
# threading.Thread) with both bases initialised by name, messages kept in a dict per
# recipient under a lock, run() looping while an active flag is set, stop() clearing it
# and closing, the thread joined by the test.
import asyncore
import email
import smtpd
import sys
import threading

from _record import record


class FakeSMTPServer(smtpd.SMTPServer, threading.Thread):
    def __init__(self, *args, **kwargs):
        threading.Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self._sink = {}
        self.active = False
        self.sink_lock = threading.Lock()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        message = email.message_from_string(data)
        with self.sink_lock:
            for rcpt in rcpttos:
                self._sink.setdefault(rcpt, []).append(message["Subject"])

    def get_sink(self):
        with self.sink_lock:
            return dict(self._sink)

    def start(self):
        self.active = True
        threading.Thread.start(self)

    def run(self):
        while self.active:
            asyncore.loop(timeout=0.1, count=1)
        asyncore.close_all()

    def stop(self):
        self.active = False
        self.join(10)


server = FakeSMTPServer(("127.0.0.1", 0), None, decode_data=True)
server.start()
print(server.socket.getsockname()[1], flush=True)
sys.stdin.readline()
server.stop()
for rcpt, subjects in sorted(server.get_sink().items()):
    print(rcpt, subjects)
