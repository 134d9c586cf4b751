# Shape: an IoT platform's integration-test mail fixtures: a Message class with a
# __repr__, SMTPServerMock(smtpd.SMTPServer) whose __init__(*args, **kwargs) sets the
# messages list, calls smtpd.SMTPServer.__init__ by name, then makes a
# threading.Condition; process_message(**kwargs) appends a Message, logs
# logging.warning("got a message: ...") and notify_all()s under the condition;
# wait_for_messages(n, timeout) waits on it and raises TimeoutError; SMTPMock whose
# start() builds the server with ('0.0.0.0', 4444), None, enable_SMTPUTF8=True and runs a
# bare asyncore.loop() (start() is the target of a daemon Thread made by a pytest yield
# fixture), stop() closing the server, await_messages(), filtered_messages() by first
# recipient and assert_called(). (Port 0 on 127.0.0.1; the fixture's 30 s sleep after
# stop is left out; the fixture waits for the thread to have built the server before it
# yields; the test body waits for stdin to close.)
import asyncore
import logging
import smtpd
import sys
import time
from threading import Condition, Thread

from _record import record


class Message:
    def __init__(self, peer, mailfrom, rcpttos, subject, data):
        self.peer = peer
        self.mailfrom = mailfrom
        self.rcpttos = rcpttos
        self.subject = subject
        self.data = data

    def __repr__(self):
        return (f"<Message peer={self.peer[0]} mailfrom={self.mailfrom} "
                f"rcpttos={self.rcpttos} subject={self.subject}>")


class SMTPServerMock(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        self.messages = []
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self._msg_cond = Condition()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.messages.append(Message(peer, mailfrom, rcpttos, None, data))
        logging.warning("got a message: %s" % mailfrom)
        with self._msg_cond:
            self._msg_cond.notify_all()

    def wait_for_messages(self, n=1, timeout=None):
        with self._msg_cond:
            while True:
                if len(self.messages) >= n:
                    break
                if not self._msg_cond.wait(timeout):
                    raise TimeoutError("timed out waiting for email")


class SMTPMock:
    def start(self):
        self.server = SMTPServerMock(("127.0.0.1", 0), None, enable_SMTPUTF8=True)
        asyncore.loop()

    def stop(self):
        self.server.close()

    def await_messages(self, _, n=1, timeout=None) -> None:
        self.server.wait_for_messages(n, timeout)

    def filtered_messages(self, email):
        return tuple(filter(lambda m: m.rcpttos[0] == email, self.server.messages))

    def assert_called(self, email):
        msgs = self.filtered_messages(email)
        assert len(msgs) == 1
        m = msgs[0]
        assert m.mailfrom.rsplit("@", 1)[-1] == "example.com"
        assert m.rcpttos[0] == email
        assert len(m.data) > 0


def smtp_server():
    server = SMTPMock()
    thread = Thread(target=server.start)
    thread.daemon = True
    thread.start()
    while not hasattr(server, "server"):
        time.sleep(0.01)
    yield server
    server.stop()


def test_notification(smtp_server):
    print(smtp_server.server.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    smtp_server.await_messages("bob@example.com", n=6, timeout=5)
    print(smtp_server.filtered_messages("bob@example.com"))
    try:
        smtp_server.assert_called("nobody@example.com")
    except AssertionError:
        print("nobody@example.com: not exactly one message")
    smtp_server.assert_called("boom@example.com")


if __name__ == "__main__":
    fixture = smtp_server()
    test_notification(next(fixture))
    for _ in fixture:
        pass
    print("stopped")
