# Shape: a mail library's test SMTP server: InMemorySMTPServerBase(object) with a
# namedtuple message type, a messages list, a Condition/Event pair, pop() waiting for a
# message and parsing it (message_from_bytes on Python 3), receive(); then
# InMemorySMTPServer(InMemorySMTPServerBase, smtpd.SMTPServer) initialising both bases by
# name (decode_data=False passed on 3.5+ through a kwargs dict), starting its own daemon
# Thread(target=asyncore.loop, args=(0.1,)) in __init__, a close() override closing the
# dispatcher and joining that thread, and process_message(..., **_) calling receive().
import asyncore
import collections
import email
import smtpd
import sys
import threading

from _record import record

_to_email_message = email.message_from_string
if sys.version_info[0] == 3:  # noqa: UP036
    _to_email_message = email.message_from_bytes


class InMemorySMTPServerBase(object):  # noqa: UP004
    """SMTP server that saves messages into a public list"""

    message = collections.namedtuple("message", "mailfrom rcpts data")

    def __init__(self, port):
        self.port = port
        self.messages = []
        self.recv_cond = threading.Condition()
        self.recv_evt = threading.Event()

    def pop(self, timeout=10):
        with self.recv_cond:
            while not self.messages:
                self.recv_cond.wait(timeout=timeout)
                if not self.recv_evt.is_set():
                    raise RuntimeError("email expected but none arrived")
                self.recv_evt.clear()
            return _to_email_message(self.messages.pop().data)

    def receive(self, mailfrom, rcpttos, data):
        with self.recv_cond:
            self.messages.append(InMemorySMTPServerBase.message(mailfrom, rcpttos, data))
            self.recv_evt.set()
            self.recv_cond.notify_all()


class InMemorySMTPServer(InMemorySMTPServerBase, smtpd.SMTPServer):
    """SMTP server based on the smtpd system module"""

    def __init__(self, port):
        kwargs = {}
        if sys.version_info[0:2] >= (3, 5):  # noqa: UP036
            kwargs["decode_data"] = False
        InMemorySMTPServerBase.__init__(self, port)
        smtpd.SMTPServer.__init__(self, ("127.0.0.1", port), None, **kwargs)
        self.server_thread = threading.Thread(target=asyncore.loop, args=(0.1,))
        self.server_thread.daemon = True
        self.server_thread.start()

    def close(self):
        smtpd.SMTPServer.close(self)
        self.server_thread.join(timeout=1)
        if self.server_thread.is_alive():
            raise RuntimeError("asyncore loop still running")

    def process_message(self, peer, mailfrom, rcpttos, data, **_):
        record(peer, mailfrom, rcpttos, data, **_)
        self.receive(mailfrom, rcpttos, data)


if __name__ == "__main__":
    server = InMemorySMTPServer(0)
    print(server.socket.getsockname()[1], flush=True)
    sys.stdin.readline()
    while server.messages:
        msg = server.pop()
        print("popped:", msg["Subject"], msg.get_payload().count("\n"))
    server.close()
    print("closed")
