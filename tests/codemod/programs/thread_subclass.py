# A Django-style test server: SMTPServer and Thread in one class: reported, not converted.
import asyncore
import smtpd
import threading


class FakeSMTPServer(smtpd.SMTPServer, threading.Thread):
    def __init__(self, *args, **kwargs):
        threading.Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, *args, decode_data=True, **kwargs)
        self.active = threading.Event()

    def process_message(self, peer, mailfrom, rcpttos, data):
        pass

    def run(self):
        self.active.set()
        while self.active.is_set():
            asyncore.loop(timeout=0.1, count=1)


server = FakeSMTPServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
server.start()
server.join()
