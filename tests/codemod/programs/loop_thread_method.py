# A mock server whose own method starts the loop thread (kept on self), a 550 for one
# recipient; created under the main guard, stopped with close() and a join.
import asyncore
import smtpd
import sys
import threading

from _record import record

REFUSED = "nobody@example.com"


class RefusingServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if REFUSED in rcpttos:
            return "550 mailbox unavailable"
        return None

    def start_background(self):
        self.worker = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05})
        self.worker.daemon = True
        self.worker.start()


if __name__ == "__main__":
    mock = RefusingServer(("127.0.0.1", 0), None)
    mock.start_background()
    print(mock.socket.getsockname()[1], flush=True)
    sys.stdin.readline()  # the test closes stdin when its dialogues are done
    mock.close()
    mock.worker.join(10)
    print("worker alive", mock.worker.is_alive(), flush=True)
