# A fixture started and stopped 30 times in a row (one per test), each time on a thread
# with a message sent in between; then once more for the round trip's dialogues.
import asyncore
import smtpd
import smtplib
import sys
import threading

from _record import record


class RecordingServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


for attempt in range(30):
    server = RecordingServer(("127.0.0.1", 0), None)
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
    thread.start()
    with smtplib.SMTP("127.0.0.1", server.socket.getsockname()[1], timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], "Subject: %d\r\n\r\nhi" % attempt)
    server.close()
    thread.join(10)
    assert not thread.is_alive(), attempt

server = RecordingServer(("127.0.0.1", 0), None)
thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
thread.start()
print(server.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
server.close()
thread.join(10)
print("30 starts and stops, then served until stdin closed", flush=True)
