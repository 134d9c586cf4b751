# Shape: an event-registration API's unittest module: MockSMTPServer(smtpd.SMTPServer)
# whose process_message spells out mail_options=None, rcpt_options=None, bumps
# module-level counters through `global` (a "notification" when the sender mails itself,
# else an "email"), releases a threading.Semaphore per kind and prints the PyMOTW lines
# and the raw data; setUpClass starts a daemon Thread whose function builds the server
# (not kept), releases a start-up Semaphore and runs a bare asyncore.loop(); tests wait
# on the semaphores. (The server is kept in a global here so that its port can be printed;
# the peer is printed without its port; the test client is the harness, the run ends when
# stdin closes.)
import asyncore
import smtpd
import sys
import threading
import unittest

from _record import record

test_account = "alice@example.com"
num_notification = 0
num_email = 0
wait_num_notification = threading.Semaphore(0)
wait_num_email = threading.Semaphore(0)
wait_smtp = threading.Semaphore(0)
smtp_context = ("127.0.0.1", 0)
mock_server = None


# Mocked SMTP Server
# Count how many emails/notifications are sent
class MockSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        global num_notification, num_email
        if mailfrom == rcpttos[0]:
            num_notification += 1
            wait_num_notification.release()
        else:
            num_email += 1
            wait_num_email.release()

        print("Receiving message from:", peer[0])
        print("Message addressed from:", mailfrom)
        print("Message addressed to  :", rcpttos)
        print("Message length        :", len(data))
        print(data)
        return


def wait_for_num_email():
    wait_num_email.acquire()
    return num_email


class TestAPIMethods(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        def thread_func():
            global smtp_context, mock_server
            mock_server = MockSMTPServer(smtp_context, None)
            wait_smtp.release()
            asyncore.loop()

        threading.Thread(target=thread_func, args=(), daemon=True).start()
        wait_smtp.acquire()

    def test_mails_counted(self):
        sys.stdin.read()
        self.assertTrue(wait_for_num_email() >= 1)


if __name__ == "__main__":
    TestAPIMethods.setUpClass()
    print(mock_server.socket.getsockname()[1], flush=True)
    case = TestAPIMethods("test_mails_counted")
    case.test_mails_counted()
    print("notifications:", num_notification, "emails:", num_email)
