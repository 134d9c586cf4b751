# Shape: an alerting service's integration-test mock: a plain MockSMTPServer wrapper whose
# start() defines TestSMTPServer(smtpd.SMTPServer) inside the method, with
# __init__(localaddr, remoteaddr, parent) calling super().__init__(..., decode_data=True)
# and process_message(**kwargs) parsing message_from_string(data) into a dict (subject,
# payload) appended to parent.emails and printing an emoji line; run_server() builds the
# server into self.server and runs a bare asyncore.loop() on a daemon thread. (The
# original's timestamp field is left out; start() polls until the server exists; the
# check is the harness and the run ends when stdin closes.)
import asyncore
import json
import smtpd
import sys
import threading
import time
from email import message_from_string

from _record import record


class MockSMTPServer:
    """Mock SMTP server to capture email notifications"""

    def __init__(self, port=1025):
        self.port = port
        self.emails = []
        self.server_thread = None
        self.server = None

    def start(self):
        """Start the mock SMTP server"""

        class TestSMTPServer(smtpd.SMTPServer):
            def __init__(self, localaddr, remoteaddr, parent):
                super().__init__(localaddr, remoteaddr, decode_data=True)
                self.parent = parent

            def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
                record(peer, mailfrom, rcpttos, data, **kwargs)
                msg = message_from_string(data)
                email_data = {
                    "from": mailfrom,
                    "to": rcpttos,
                    "subject": msg.get("Subject"),
                    "body": msg.get_payload(),
                }
                self.parent.emails.append(email_data)
                print(f"\U0001f4e7 Captured email: {msg.get('Subject')}")

        def run_server():
            self.server = TestSMTPServer(("127.0.0.1", self.port), None, self)
            asyncore.loop()

        self.server_thread = threading.Thread(target=run_server, daemon=True)
        self.server_thread.start()
        while self.server is None:
            time.sleep(0.05)

    def get_emails(self):
        return self.emails

    def clear_emails(self):
        self.emails = []


if __name__ == "__main__":
    mock = MockSMTPServer(port=0)
    mock.start()
    print(mock.server.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    print(json.dumps(mock.get_emails(), indent=2, ensure_ascii=False))
