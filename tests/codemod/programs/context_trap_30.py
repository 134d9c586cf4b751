# A context manager for tests: __enter__ makes the server on self, puts the loop on a
# thread and returns self; __exit__ closes and joins. Entered and left 30 times in a
# row with a message each time, then once more for the round trip's dialogues.
import asyncore
import smtpd
import smtplib
import sys
import threading

from _record import record


class BoxServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.box.append(rcpttos[0])


class MailBox:
    def __init__(self):
        self.box = []

    def __enter__(self):
        self.server = BoxServer(("127.0.0.1", 0), None)
        self.server.box = self.box
        self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.close()
        self.thread.join(10)
        return False


for attempt in range(30):
    with MailBox() as mailbox:
        port = mailbox.server.socket.getsockname()[1]
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.sendmail("a@example.com", ["n%d@example.com" % attempt], "Subject: hi\r\n\r\nx")
    assert not mailbox.thread.is_alive(), attempt
    assert mailbox.box == ["n%d@example.com" % attempt], mailbox.box

with MailBox() as mailbox:
    print(mailbox.server.socket.getsockname()[1], flush=True)
    sys.stdin.readline()  # the test closes stdin when its dialogues are done
print("box", mailbox.box, "alive", mailbox.thread.is_alive(), flush=True)
