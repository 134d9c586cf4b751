# Shape: a local "send myself a test mail" script: an empty _DebuggingServer subclass of
# smtpd.DebuggingServer "to extend later", start_debug_smtp() running
# Thread(target=asyncore.loop, kwargs={"timeout": 1}) as a daemon and sleeping 0.2 s "to let
# it start", then send_test_email() sending an EmailMessage to its own server with smtplib
# (the DebuggingServer prints it); argparse for the recipient, completing a bare name with
# @example.com. It then stays up until stdin closes.
import argparse
import asyncore
import smtpd
import smtplib
import sys
import threading
import time
from email.message import EmailMessage


class _DebuggingServer(smtpd.DebuggingServer):
    # subclassed so it can be extended when needed
    pass


def start_debug_smtp(port: int = 5000):
    server = _DebuggingServer(("127.0.0.1", port), None)

    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 1})
    thread.daemon = True
    thread.start()

    # give the server a moment to start
    time.sleep(0.2)
    return server, thread


def send_test_email(
    to_addr: str,
    subject: str = "Test mail",
    body: str = "This is a local test mail.",
    port: int = 5000,
):
    if "@" not in to_addr:
        to_addr = to_addr + "@example.com"
    msg = EmailMessage()
    msg["From"] = "tester@example.com"
    msg["To"] = to_addr
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(msg)
    print("Test mail sent to", to_addr)


def main():
    parser = argparse.ArgumentParser(description="local SMTP test")
    parser.add_argument("--to", default="someone")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server, thread = start_debug_smtp(args.port)
    port = server.socket.getsockname()[1]
    send_test_email(args.to, port=port)
    print(port, flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
