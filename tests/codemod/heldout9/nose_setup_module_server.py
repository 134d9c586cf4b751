# Shape: a nose-era test module for a notifier: module globals SERVER and THREAD; a
# MailSink(smtpd.SMTPServer) with a 4-argument process_message (default decode_data:
# TypeError on every message under Python 3) appending to a module-level SENT list;
# setup_module() builds the sink on port 0, starts threading.Thread(target=asyncore.loop,
# kwargs={"timeout": 0.1}) and sets the notifier's port; teardown_module() closes the
# sink, calls asyncore.close_all() and joins the thread. (The runner is by hand:
# setup_module, the test waits for stdin to close, teardown_module.)
import asyncore
import smtpd
import sys
import threading

from _record import record

SERVER = None
THREAD = None
SENT = []
SETTINGS = {"smtp_port": None}


class MailSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        SENT.append((mailfrom, rcpttos, data))


def setup_module():
    global SERVER, THREAD
    SERVER = MailSink(("127.0.0.1", 0), None)
    SETTINGS["smtp_port"] = SERVER.socket.getsockname()[1]
    THREAD = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
    THREAD.start()


def teardown_module():
    SERVER.close()
    asyncore.close_all()
    THREAD.join()


def test_notification_is_mailed():
    sys.stdin.read()
    print("sent:", len(SENT))
    assert SENT, "no notification mailed"


if __name__ == "__main__":
    setup_module()
    print(SETTINGS["smtp_port"], flush=True)
    try:
        test_notification_is_mailed()
    except AssertionError as e:
        print("FAIL:", e)
    finally:
        teardown_module()
    print("thread alive:", THREAD.is_alive())
