# Shape: a disaster-response web app's server-test harness: MailThread(threading.Thread)
# with a class-level messages list, __init__(port) calling threading.Thread.__init__ by
# name and clearing stop_requested, and a run() that DEFINES MailServer(smtpd.SMTPServer)
# with a 4-argument process_message (default decode_data: TypeError on every message
# under Python 3) printing to stderr and appending {'from', 'to', 'data'} to
# MailThread.messages, builds it in a try/except that prints "SMTP server failed" and
# sys.exit(-1)s, prints "SMTP server started." to stderr, then polls
# smtpd.asyncore.loop(timeout=0.5, count=1) (asyncore reached through the smtpd module)
# until stop_requested, and prints "SMTP server stopped."; stop() sets the flag;
# wait_until_ready() and flush_output() are stubs; a pytest plugin class keeps the
# threads it starts and stops them at session end. (Python 3 port of the print
# statements; the server is kept on the thread so that its port can be printed; the
# session ends when stdin closes.)
import smtpd
import sys
import threading

from _record import record


class MailThread(threading.Thread):
    """Runs an SMTP server and stores the incoming messages."""
    messages = []

    def __init__(self, port):
        threading.Thread.__init__(self)
        self.port = port
        self.stop_requested = False
        self.ready = threading.Event()

    def run(self):
        class MailServer(smtpd.SMTPServer):
            def process_message(self, peer, mailfrom, rcpttos, data):
                record(peer, mailfrom, rcpttos, data)
                print("mail from:", mailfrom, "to:", rcpttos, file=sys.stderr)
                MailThread.messages.append(
                    {"from": mailfrom, "to": rcpttos, "data": data})

        try:
            self.server = MailServer(("127.0.0.1", self.port), None)
        except Exception as e:
            print("SMTP server failed: %s" % e, file=sys.stderr)
            sys.exit(-1)
        print("SMTP server started.", file=sys.stderr)
        self.ready.set()
        while not self.stop_requested:
            smtpd.asyncore.loop(timeout=0.5, count=1)
        print("SMTP server stopped.", file=sys.stderr)

    def stop(self):
        self.stop_requested = True

    def wait_until_ready(self, timeout=10):
        pass

    def flush_output(self):
        pass


class PyTestPlugin:
    """A plugin for pytest that does the setup and teardown for server tests."""

    def __init__(self):
        self.threads = []

    def pytest_sessionstart(self, session):
        thread = MailThread(0)
        thread.start()
        thread.ready.wait(10)
        self.threads.append(thread)
        for thread in self.threads:
            thread.wait_until_ready()
        return thread

    def pytest_sessionfinish(self):
        for thread in self.threads:
            thread.flush_output()
            thread.stop()
        for thread in self.threads:
            thread.join()


if __name__ == "__main__":
    plugin = PyTestPlugin()
    mail_thread = plugin.pytest_sessionstart(None)
    print(mail_thread.server.socket.getsockname()[1], flush=True)
    sys.stdin.read()
    plugin.pytest_sessionfinish()
    print("messages:", len(MailThread.messages))
