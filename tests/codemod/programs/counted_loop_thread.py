# A test helper thread whose run() loops with a generous pass count (it never runs out
# in a test); stop() closes the server and joins.
import asyncore
import smtpd
import sys
import threading

from _record import record


class Catcher(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.subjects = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.subjects.extend(x for x in data.split(b"\n") if x.startswith(b"Subject:"))


class CatcherThread(threading.Thread):
    def __init__(self):
        threading.Thread.__init__(self, daemon=True)
        self.catcher = Catcher(("127.0.0.1", 0), None)

    def run(self):
        asyncore.loop(timeout=0.05, count=200000)

    def stop(self):
        self.catcher.close()
        self.join(10)


helper = CatcherThread()
helper.start()
print(helper.catcher.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
helper.stop()
print("subjects:", helper.catcher.subjects, "running:", helper.is_alive(), flush=True)
