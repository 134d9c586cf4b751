# Shape: a test utility whose server is created through a classmethod start(port=0) that
# also starts a daemon loop thread and returns the instance; captured messages read back
# through methods; a 4-argument process_message with decode_data=True.
import asyncore
import smtpd
import sys
import threading

from _record import record


class CaptureServer(smtpd.SMTPServer):
    def __init__(self, localaddr):
        smtpd.SMTPServer.__init__(self, localaddr, None, decode_data=True)
        self.captured = []
        self.thread = None

    @classmethod
    def start(cls, host="127.0.0.1", port=0):
        instance = cls((host, port))
        instance.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
        instance.thread.daemon = True
        instance.thread.start()
        return instance

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.captured.append({"from": mailfrom, "to": rcpttos, "body": data})

    def last_subject(self):
        for line in self.captured[-1]["body"].splitlines():
            if line.startswith("Subject:"):
                return line[len("Subject:") :].strip()

    def shutdown(self):
        self.close()
        self.thread.join(10)


capture = CaptureServer.start()
print(capture.socket.getsockname()[1], flush=True)
sys.stdin.readline()
capture.shutdown()
print(len(capture.captured), "captured, last subject:", capture.last_subject())
