# Shape: a bug tracker's Selenium sign-up test: FakeSMTPServer(smtpd.SMTPServer,
# threading.Thread) whose __init__(*args, **kwargs) initialises the Thread then the server
# by name, sets daemon, a received_messages list and calls self.start() itself; run() is
# a bare asyncore.loop(); a **kwargs process_message appending the data; reset() and
# wait_for_mail(timeout) polling the list once a second until a deadline (assert False
# past it); test_mail() makes a random test user name, builds the server and a browser
# driver, submits the sign-up form, waits for mail, asserts exactly 2 messages and in
# finally closes the server and quits the driver. (The browser is a stand-in that waits
# for stdin to close; the dialogues send seven messages, so the assertion fails.)
import asyncore
import random
import smtpd
import sys
import threading
import time

from _record import record


class FakeSMTPServer(smtpd.SMTPServer, threading.Thread):

    def __init__(self, *args, **kwargs):
        threading.Thread.__init__(self)
        smtpd.SMTPServer.__init__(self, *args, **kwargs)
        self.daemon = True
        self.received_messages = []
        self.start()

    def run(self):
        asyncore.loop()

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.received_messages.append(data)

    def reset(self):
        self.received_messages = []

    def wait_for_mail(self, timeout):
        end_time = time.time() + timeout
        while True:
            if len(self.received_messages) > 0:
                return
            time.sleep(1)
            if time.time() > end_time:
                raise AssertionError("no mail")


class Browser(object):  # noqa: UP004
    def __init__(self, port):
        self.port = port

    def sign_up(self, username):
        print(self.port, flush=True)
        sys.stdin.read()

    def quit(self):
        print("browser closed")


def test_mail():
    testuser = "testuser_%s" % random.randint(0, sys.maxsize)
    smtp_server = FakeSMTPServer(("127.0.0.1", 0), None)
    driver = Browser(smtp_server.socket.getsockname()[1])

    try:
        driver.sign_up(testuser)
        smtp_server.wait_for_mail(10)
        print("messages:", len(smtp_server.received_messages))
        assert len(smtp_server.received_messages) == 2
    finally:
        smtp_server.close()
        driver.quit()


if __name__ == "__main__":
    test_mail()
