# An alerting tool's test double: a wrapper whose start() defines the server class, makes
# the server inside the function it gives a Thread as target, and waits until that thread
# has set self.server before reading its port. Stopped by closing stdin; it then prints
# the subjects it captured.
import asyncore
import smtpd
import sys
import threading
from email import message_from_bytes

from _record import record


class AlertCatcher:
    def __init__(self):
        self.server = None
        self.subjects = []

    def start(self):
        catcher = self

        class CapturingServer(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                record(peer, mailfrom, rcpttos, data, **kwargs)
                catcher.subjects.append(str(message_from_bytes(data)["Subject"]))

        def serve():
            self.server = CapturingServer(("127.0.0.1", 0), None)
            asyncore.loop(timeout=0.05)

        threading.Thread(target=serve, name="alert-catcher", daemon=True).start()
        while self.server is None:
            threading.Event().wait(0.01)


if __name__ == "__main__":
    alerts = AlertCatcher()
    alerts.start()
    print(alerts.server.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    print("captured:", alerts.subjects)
