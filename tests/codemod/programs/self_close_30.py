# A capture server for tests that runs its own daemon loop thread from a method and
# shuts itself down with self.close() and a join; messages read back through a method
# (decode_data=True, 4-argument process_message). Used 30 times, then for the dialogues.
import asyncore
import smtpd
import smtplib
import sys
import threading

from _record import record


class Capture(smtpd.SMTPServer):
    def __init__(self, port=0):
        smtpd.SMTPServer.__init__(self, ("127.0.0.1", port), None, decode_data=True)
        self.bodies = []

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.bodies.append(data)

    def in_background(self):
        self.loop_thread = threading.Thread(
            target=asyncore.loop, kwargs={"timeout": 0.05}, daemon=True
        )
        self.loop_thread.start()
        return self

    def subjects(self):
        return [b.split("\n")[0] for b in self.bodies]

    def shutdown(self):
        self.close()
        self.loop_thread.join(10)


def started_capture():
    capture = Capture()
    capture.in_background()
    return capture


for attempt in range(30):
    capture = started_capture()
    port = capture.socket.getsockname()[1]
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], "Subject: %d\r\n\r\nx" % attempt)
    capture.shutdown()
    assert not capture.loop_thread.is_alive(), attempt
    assert capture.subjects() == ["Subject: %d" % attempt], capture.subjects()

capture = started_capture()
print(capture.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
capture.shutdown()
print("subjects", capture.subjects(), flush=True)
