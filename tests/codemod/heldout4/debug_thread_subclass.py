# Shape: an app's dev-mode "SMTP debug server": SMTPDebugServer(smtpd.DebuggingServer,
# threading.Thread) that only initialises the Thread base (localaddr kept, daemon) and
# whose run() creates a separate, plain smtpd.DebuggingServer(self.localaddr, None) and
# loops inside try/except Exception printing an error line; start_smtp_debug_server()
# starts it and the application carries on (here: until stdin closes).
import asyncore
import smtpd
import socket
import sys
import threading
import time


class SMTPDebugServer(smtpd.DebuggingServer, threading.Thread):
    def __init__(self, localaddr):
        threading.Thread.__init__(self)
        self.localaddr = localaddr
        self.daemon = True

    def run(self):
        smtpd.DebuggingServer(self.localaddr, None)
        try:
            asyncore.loop()
        except Exception as e:
            print(f"SMTP server error: {e}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SMTP_PORT = free_port()  # the app uses a fixed one


def start_smtp_debug_server():
    server = SMTPDebugServer(("127.0.0.1", SMTP_PORT))
    server.start()


if __name__ == "__main__":
    start_smtp_debug_server()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", SMTP_PORT), timeout=1).close()
            break
        except OSError:
            time.sleep(0.01)
    print(SMTP_PORT, flush=True)
    sys.stdin.read()
    print("app exiting")
