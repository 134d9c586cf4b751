# Shape: a threaded test server: a Thread subclass that creates the server in run(),
# polls asyncore.loop(timeout=0.05, count=1) until a threading.Event is set, signals
# readiness through another Event; process_message(self, peer, mailfrom, rcpttos, data,
# **kwargs) appends to a list the test reads after stop().
import asyncore
import smtpd
import sys
import threading

from _record import record


class CollectingServer(smtpd.SMTPServer):
    def __init__(self, localaddr, store):
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self.store = store

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.store.append((mailfrom, tuple(rcpttos), kwargs.get("mail_options")))


class ServerThread(threading.Thread):
    def __init__(self):
        threading.Thread.__init__(self, name="smtp-test-server")
        self.messages = []
        self.ready = threading.Event()
        self._stop_event = threading.Event()
        self.port = None

    def run(self):
        server = CollectingServer(("127.0.0.1", 0), self.messages)
        self.port = server.socket.getsockname()[1]
        self.ready.set()
        while not self._stop_event.is_set():
            asyncore.loop(timeout=0.05, count=1)
        server.close()

    def stop(self):
        self._stop_event.set()
        self.join(10)


thread = ServerThread()
thread.start()
thread.ready.wait(10)
print(thread.port, flush=True)
sys.stdin.readline()
thread.stop()
for message in thread.messages:
    print(message)
