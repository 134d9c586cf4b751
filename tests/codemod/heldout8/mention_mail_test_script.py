# Shape: a diagram app's feature-test script ("Test Feature: comment notifications via
# email"): TestSMTPServer(smtpd.SMTPServer) with a CLASS-level emails_received list and a
# **kwargs process_message that parses message_from_string(data.decode('utf-8')),
# appends a dict (from, to, subject, body) and prints an emoji "Email captured" line;
# start_mock_smtp_server() builds the server, defines an inner run_server() calling a bare
# asyncore.loop(), starts it on a daemon thread and returns the server; the test function
# prints numbered steps with emoji, drives the application (here: waits for stdin to
# close), checks the captured mails and returns True/False; the __main__ block calls
# exit(0 if success else 1) inside try/except Exception printing a traceback.
# (The original slept 1 s after starting the thread and 3 s before checking; the server
# listens before the thread starts and the dialogues are over when stdin closes, so
# neither sleep is kept. The mentioned user is bob@example.com here.)
import asyncore
import smtpd
import sys
import threading
from email import message_from_string

from _record import record

TEST_USER_2 = {"email": "bob@example.com", "full_name": "Bob Mentioned"}


class TestSMTPServer(smtpd.SMTPServer):
    """Mock SMTP server to capture emails."""
    emails_received = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        """Capture incoming emails."""
        record(peer, mailfrom, rcpttos, data, **kwargs)
        email = message_from_string(data.decode("utf-8"))
        self.emails_received.append({
            "from": mailfrom,
            "to": rcpttos,
            "subject": email.get("Subject"),
            "body": email.get_payload(),
        })
        print(f"\U0001F4E7 Email captured: {email.get('Subject')} to {rcpttos}")


def start_mock_smtp_server():
    """Start mock SMTP server in background thread."""
    server = TestSMTPServer(("127.0.0.1", 0), None)

    def run_server():
        asyncore.loop()

    thread = threading.Thread(target=run_server, daemon=True)
    thread.start()
    return server


def test_email_notification_on_mention():
    """Test that email is sent when user is mentioned in comment."""
    print("=" * 40)
    print("1\ufe0f\u20e3  Starting mock SMTP server...")
    smtp_server = start_mock_smtp_server()
    print(smtp_server.socket.getsockname()[1], flush=True)

    print("2\ufe0f\u20e3  Creating comment with mention...")
    sys.stdin.read()

    print(f"3\ufe0f\u20e3  Checking emails received (found {len(smtp_server.emails_received)})...")
    if len(smtp_server.emails_received) == 0:
        print("\u26a0\ufe0f  No emails received - email might be disabled in config")
        return True

    email = smtp_server.emails_received[0]
    print(f"   From: {email['from']}")
    print(f"   To: {email['to']}")
    print(f"   Subject: {email['subject']}")
    checks = [TEST_USER_2["email"] in str(email["to"]),
              TEST_USER_2["full_name"] in str(email["subject"])]
    print("checks:", checks)
    return all(checks)


if __name__ == "__main__":
    try:
        success = test_email_notification_on_mention()
        exit(0 if success else 1)
    except Exception as e:
        print(f"\n\u274c Test failed with exception: {e}")
        import traceback
        traceback.print_exc()
        exit(1)
