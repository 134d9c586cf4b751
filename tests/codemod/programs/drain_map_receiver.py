# A test receiver: start() makes the server as self.server, then runs serve() on a thread,
# which loops while the socket map is not empty, calling the blocking loop (no count: each
# call returns only once the map is empty); stop() closes the server and joins. Started and
# stopped three times, then once more for the dialogues; messages counted per run.
import asyncore
import smtpd
import smtplib
import sys
import threading

from _record import record


class CountingServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.count += 1

    count = 0


class Receiver:
    def __init__(self):
        self.server = None
        self.worker = None

    def start(self):
        self.server = CountingServer(("127.0.0.1", 0), None)
        self.worker = threading.Thread(target=self.serve, daemon=True)
        self.worker.start()
        return self.server.socket.getsockname()[1]

    def serve(self):
        while asyncore.socket_map:
            asyncore.loop(timeout=0.05, use_poll=True)

    def stop(self):
        self.server.close()
        self.worker.join(10)
        return self.worker.is_alive()


for attempt in range(3):
    receiver = Receiver()
    port = receiver.start()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], "Subject: %d\r\n\r\nx" % attempt)
    assert not receiver.stop(), attempt
    assert receiver.server.count == 1, receiver.server.count

receiver = Receiver()
print(receiver.start(), flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
print("alive after stop:", receiver.stop(), flush=True)
print("messages:", receiver.server.count, flush=True)
