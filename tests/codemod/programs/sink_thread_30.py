# A threading.Thread subclass that makes its server in __init__ and serves it from run()
# with the loop (with a timeout); stop() closes the server and joins. As a test fixture:
# started and stopped 30 times in a row with a message each time, then once more.
import asyncore
import smtpd
import smtplib
import sys
import threading

from _record import record


class ListServer(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self.received = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.received.append(mailfrom)


class SinkThread(threading.Thread):
    def __init__(self, port=0):
        threading.Thread.__init__(self)
        self.smtp = ListServer(("127.0.0.1", port), None)
        self.port = self.smtp.socket.getsockname()[1]

    def run(self):
        asyncore.loop(timeout=0.05)

    def stop(self):
        self.smtp.close()
        self.join(10)


for attempt in range(30):
    sink = SinkThread()
    sink.start()
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], "Subject: %d\r\n\r\nhi" % attempt)
    sink.stop()
    assert not sink.is_alive(), attempt
    assert sink.smtp.received == ["a@example.com"], sink.smtp.received

sink = SinkThread()
sink.start()
print(sink.port, flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
sink.stop()
print("received", len(sink.smtp.received), "alive", sink.is_alive(), flush=True)
