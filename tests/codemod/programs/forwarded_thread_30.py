# A test double that is both the server and its thread, passing its own arguments on
# (*args, **kwargs after localaddr), a queue of recipients, run() setting its flag then
# polling the loop while the flag and the shared map last, stop() joining then closing.
# Started and stopped 30 times in a row, then once more for the round trip's dialogues.
import asyncore
import queue
import smtpd
import smtplib
import sys
import threading

from _record import record


class MailTrap(smtpd.SMTPServer, threading.Thread):
    def __init__(self, localaddr, *args, **kwargs):
        threading.Thread.__init__(self, name="mail-trap")
        smtpd.SMTPServer.__init__(self, localaddr, *args, **kwargs)
        self.inbox = queue.Queue()
        self.running = False

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.inbox.put((rcpttos[0], len(data)))

    def run(self):
        self.running = True
        while self.running and asyncore.socket_map:
            asyncore.loop(timeout=0.05, count=1)

    def stop(self):
        self.running = False
        self.join(10)
        self.close()


for attempt in range(30):
    trap = MailTrap(("127.0.0.1", 0), None, data_size_limit=4096)
    trap.start()
    port = trap.socket.getsockname()[1]
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("a@example.com", ["n%d@example.com" % attempt], "Subject: hi\r\n\r\nx")
    trap.stop()
    assert trap.inbox.get(timeout=10)[0] == "n%d@example.com" % attempt

trap = MailTrap(("127.0.0.1", 0), None, data_size_limit=4096)
trap.start()
print(trap.socket.getsockname()[1], flush=True)
sys.stdin.readline()  # the test closes stdin when its dialogues are done
trap.stop()
while not trap.inbox.empty():
    print(trap.inbox.get())
