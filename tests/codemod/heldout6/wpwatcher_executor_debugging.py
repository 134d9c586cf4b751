# Shape: a site-monitoring tool's unittest module: setUpClass launches a plain
# smtpd.DebuggingServer(('localhost', 1025), None) it never keeps and submits
# asyncore.loop to a concurrent.futures.ThreadPoolExecutor(1) (no map);
# tearDownClass calls asyncore.close_all() to end it; the tests send mail through the
# tool's own configuration. (The instance is kept on the class here to print its port;
# the tests are the harness and tearDownClass runs when stdin closes; the loop gets a 1 s
# timeout, as the original's 30 s default kept the worker, and exit, waiting that long.)
import asyncore
import concurrent.futures
import smtpd
import sys
import unittest


class WPWatcherTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Launch SMPT debbug server
        cls.mail_server = smtpd.DebuggingServer(("127.0.0.1", 0), None)
        executor = concurrent.futures.ThreadPoolExecutor(1)
        executor.submit(asyncore.loop, 1)

    @classmethod
    def tearDownClass(cls):
        # Close mail server
        asyncore.close_all()


if __name__ == "__main__":
    WPWatcherTests.setUpClass()
    print(WPWatcherTests.mail_server.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    WPWatcherTests.tearDownClass()
    print("mail server closed")
