# A polling loop in a function: serve until a flag file-like event is set, then close.
import asyncore
import smtpd
import sys
import threading

from _record import record


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


def serve(done):
    server = Sink(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    while not done.is_set():
        asyncore.loop(timeout=0.05, count=1)
    server.close()


done = threading.Event()
watcher = threading.Thread(target=lambda: (sys.stdin.readline(), done.set()))
watcher.start()
serve(done)
watcher.join(10)
print("served until done", flush=True)
