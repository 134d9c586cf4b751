# A development inbox: a Thread subclass whose run() makes the SMTP server (kept as
# self.smtp, None until then) and blocks in the event loop; the main thread waits until
# the server exists, reads its port through the thread, and close() stops it (the loop
# returns) before the join. Messages are grouped by recipient.
import asyncore
import smtpd
import sys
import threading
import time

from _record import record


class GroupingServer(smtpd.SMTPServer):
    def __init__(self, inbox, localaddr):
        smtpd.SMTPServer.__init__(self, localaddr, None, decode_data=True)
        self.inbox = inbox

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        for rcpt in rcpttos:
            self.inbox.setdefault(rcpt, []).append(data.split("\n", 1)[0])


class InboxThread(threading.Thread):
    def __init__(self, inbox):
        threading.Thread.__init__(self, name="inbox")
        self.inbox = inbox
        self.smtp = None

    def run(self):
        self.smtp = GroupingServer(self.inbox, ("127.0.0.1", 0))
        asyncore.loop(timeout=0.05)

    def close(self):
        self.smtp.close()
        self.join(10)


def wait_for_server(worker):
    deadline = time.monotonic() + 10
    while worker.smtp is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the inbox did not start")
        time.sleep(0.005)
    return worker.smtp.socket.getsockname()[1]


if __name__ == "__main__":
    inbox = {}
    worker = InboxThread(inbox)
    worker.daemon = True
    worker.start()
    print(wait_for_server(worker), flush=True)
    sys.stdin.readline()  # the test closes stdin when its dialogues are done
    worker.close()
    print("alive", worker.is_alive(), flush=True)
    for rcpt in sorted(inbox):
        print(rcpt, inbox[rcpt], flush=True)
