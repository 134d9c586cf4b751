# A test server that is its own daemon thread (setDaemon in __init__) whose run() is one
# blocking loop; shutdown() closes the server, which ends that loop, then joins. Started and
# stopped 30 times in a row, then once more for the round trip's dialogues.
import asyncore
import smtpd
import smtplib
import sys
import threading

from _record import record


class ThreadedSink(smtpd.SMTPServer, threading.Thread):
    def __init__(self, port=0):
        threading.Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, ("127.0.0.1", port), None)
        self.setDaemon(True)
        self.received = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.received.append(rcpttos[0])

    def run(self):
        asyncore.loop(timeout=0.05)

    def shutdown(self):
        self.close()
        self.join(10)


for attempt in range(30):
    sink = ThreadedSink()
    sink.start()
    with smtplib.SMTP("127.0.0.1", sink.socket.getsockname()[1], timeout=10) as client:
        client.sendmail("a@example.com", ["n%d@example.com" % attempt], "Subject: hi\r\n\r\nx")
    sink.shutdown()
    assert sink.received == ["n%d@example.com" % attempt], sink.received

sink = ThreadedSink()
sink.start()
print(sink.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
sink.shutdown()
print("received", sink.received, flush=True)
