# Shape: a web app's local mail_server.py: DebuggingServer(smtpd.DebuggingServer) (the
# subclass takes the base's name) whose **kwargs process_message never calls the base: it
# prints a "[DEBUG EMAIL RECEIVED]" banner, From, To and data.decode('utf-8',
# errors='ignore'); run_smtp_server() prints ">>> Starting local SMTP debug server",
# builds the server and loops in try/except KeyboardInterrupt; the app starts it on a
# daemon thread and serves (a stand-in sleep loop here) until Ctrl+C.
import asyncore
import smtpd
import threading
import time

from _record import record

STARTED = threading.Event()


class DebuggingServer(smtpd.DebuggingServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("\n" + "=" * 20 + " [DEBUG EMAIL RECEIVED] " + "=" * 20)
        print(f"From: {mailfrom}")
        print(f"To: {rcpttos}")
        print("-" * 64)
        print(data.decode("utf-8", errors="ignore"))
        print("=" * 66 + "\n")


def run_smtp_server():
    print(">>> Starting local SMTP debug server...")
    server = DebuggingServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    STARTED.set()
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print(">>> SMTP debug server stopped.")


def main():
    smtp_thread = threading.Thread(target=run_smtp_server, daemon=True)
    smtp_thread.start()
    STARTED.wait(10)
    try:
        while True:  # the app's own server
            time.sleep(0.1)
    except KeyboardInterrupt:
        print("app stopped")


if __name__ == "__main__":
    main()
