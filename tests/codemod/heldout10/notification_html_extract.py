# Shape: a notification service's local test server ("a MailHog alternative"):
# TestSMTPServer(smtpd.SMTPServer) with __init__(localaddr, remoteaddr) calling
# super().__init__(localaddr, remoteaddr, decode_data=True) and an emails list; a
# **kwargs process_message printing a banner, From and To, the subject cut out with
# data.split('Subject: ')[1].split('\n')[0] and, when there is a text/html part, the
# HTML after the first blank line, else the first 200 characters; main() runs
# asyncore.loop(timeout=1) on a daemon thread and sleeps until Ctrl+C, then closes the
# server and prints how many emails it logged.
import asyncore
import smtpd
import threading
import time

from _record import record


class TestSMTPServer(smtpd.SMTPServer):
    """A simple SMTP server that logs received emails"""

    def __init__(self, localaddr, remoteaddr):
        super().__init__(localaddr, remoteaddr, decode_data=True)
        self.emails = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("\n=== Email received ===")
        print(f"From: {mailfrom}")
        print(f"To: {rcpttos}")
        subject = data.split("Subject: ")[1].split("\n")[0] if "Subject: " in data else "N/A"
        print(f"Subject: {subject}")
        print("--- Email Content ---")
        if "Content-Type: text/html" in data:
            html_start = data.find("\n\n") + 2
            print(data[html_start:])
        else:
            print(data[:200])
        print("=" * 22)
        self.emails.append({"from": mailfrom, "to": rcpttos, "subject": subject})


def main():
    server = TestSMTPServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 1})
    thread.daemon = True
    thread.start()
    try:
        while True:
            time.sleep(0.1)
    except KeyboardInterrupt:
        server.close()
        print(f"\nLogged {len(server.emails)} emails")


if __name__ == "__main__":
    main()
