# Shape: a small test library: a private server subclass whose 4-argument
# process_message builds a namedtuple and calls a callback set after construction; a
# context manager starts asyncore.loop on a thread in __enter__ and closes in __exit__.
import asyncore
import collections
import smtpd
import sys
import threading

from _record import record

Email = collections.namedtuple("Email", ["frm", "to", "msg"])


class _CallbackServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.callback(Email(frm=mailfrom, to=rcpttos, msg=data))


class MailTrap:
    def __init__(self, port):
        self._port = port
        self.emails = []

    def __enter__(self):
        self.server = _CallbackServer(("127.0.0.1", self._port), None)
        self.server.callback = self.emails.append
        self.thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.1})
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.close()
        self.thread.join(10)


with MailTrap(0) as trap:
    print(trap.server.socket.getsockname()[1], flush=True)
    sys.stdin.readline()
print("emails", [e.frm for e in trap.emails], flush=True)
