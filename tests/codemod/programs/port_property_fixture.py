# A test double that reports its own address from the dispatcher's socket (a property
# read once it serves) and stops itself with smtpd's close(); served on a loop thread.
import asyncore
import smtpd
import sys
import threading

from _record import record


class RecordingServer(smtpd.SMTPServer):
    def __init__(self, host="127.0.0.1"):
        smtpd.SMTPServer.__init__(self, (host, 0), None, decode_data=True)
        self.subjects = []

    @property
    def address(self):
        return self.socket.getsockname()[:2]

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        for line in data.splitlines():
            if line.startswith("Subject:"):
                self.subjects.append(line[8:].strip())

    def stop(self):
        self.close()


server = RecordingServer()
loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True)
loop.start()
host, port = server.address
print(port, flush=True)
sys.stdin.readline()
server.stop()
loop.join(10)
print(host, "saw", server.subjects, flush=True)
