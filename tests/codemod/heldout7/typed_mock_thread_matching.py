# Shape: a web project's test helper module "Module containing a mock SMTP server":
# MockSMTPServer(smtpd.SMTPServer, threading.Thread) with type hints, whose
# __init__(hostname: str, port: int) calls threading.Thread.__init__ then
# smtpd.SMTPServer.__init__ by name, sets daemon, the received_messages / recipients /
# senders lists, and calls self.start() itself; run() is a bare asyncore.loop();
# process_message(peer: Tuple[str, int], mailfrom: str, rcpttos: List[str], data: bytes,
# **kwargs) appends to the three lists; reset() and assertion helpers
# (received_message_matching(template) with re.search over the decoded messages,
# received_messages_count()). (The test body here waits for stdin to close, then prints
# what the helpers say; the server is closed at the end and the daemon loop thread is
# left behind, as in the test suite.)
import asyncore
import re
import smtpd
import sys
import threading
from typing import List, Tuple

from _record import record


class MockSMTPServer(smtpd.SMTPServer, threading.Thread):
    """
    A mock SMTP server. Runs in a separate thread so can be started from
    existing test code.
    """

    def __init__(self, hostname: str, port: int):
        threading.Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, (hostname, port), None)
        self.daemon = True
        self.received_messages = []
        self.recipients = []
        self.senders = []
        self.start()

    def run(self):
        """Overridden method that runs the server thread"""
        asyncore.loop()

    def process_message(self, peer: Tuple[str, int], mailfrom: str, rcpttos: List[str],
                        data: bytes, **kwargs):
        """Overridden method that updates the inbox"""
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.received_messages.append(data)
        self.recipients.append(rcpttos)
        self.senders.append(mailfrom)

    def reset(self):
        self.received_messages = []
        self.recipients = []
        self.senders = []

    # helper methods for assertions in test cases
    def received_message_matching(self, template: str) -> bool:
        for message in self.received_messages:
            if re.search(template, message.decode("utf-8", "replace")):
                return True
        return False

    def received_messages_count(self) -> int:
        return len(self.received_messages)


if __name__ == "__main__":
    mock = MockSMTPServer("127.0.0.1", 0)
    print(mock.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    print("count:", mock.received_messages_count())
    print("subject matched:", mock.received_message_matching("Subject: round trip"))
    print("unicode matched:", mock.received_message_matching("na\u00efve"))
    print("senders:", sorted(set(mock.senders)))
    print("recipients:", mock.recipients)
    mock.reset()
    mock.close()
