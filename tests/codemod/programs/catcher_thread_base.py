# A dev-mode mail catcher: MailCatcher(smtpd.DebuggingServer, threading.Thread) that only
# initialises its Thread base (a name, daemon) and whose run() makes a separate, plain
# DebuggingServer on port 0, publishes the port it bound, signals an Event and runs the
# loop; the main code waits for the Event and serves until stdin closes.
import asyncore
import smtpd
import sys
import threading


class MailCatcher(smtpd.DebuggingServer, threading.Thread):
    """Prints every message the app sends while it runs in development."""

    def __init__(self, host="127.0.0.1"):
        threading.Thread.__init__(self, name="mail-catcher", daemon=True)
        self.host = host
        self.port = None
        self.ready = threading.Event()

    def run(self):
        catcher = smtpd.DebuggingServer((self.host, 0), None)
        self.port = catcher.socket.getsockname()[1]
        self.ready.set()
        asyncore.loop(timeout=0.05)


if __name__ == "__main__":
    mail_catcher = MailCatcher()
    mail_catcher.start()
    mail_catcher.ready.wait(10)
    print(mail_catcher.port, flush=True)
    sys.stdin.readline()  # the test closes stdin when its dialogues are done
    print("thread:", mail_catcher.name, mail_catcher.daemon, flush=True)
