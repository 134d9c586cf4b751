# Shape: a "how much mail does my app send" counter: CountingServer(smtpd.SMTPServer) with
# a class-level Counter per recipient domain and a 4-argument process_message (default
# decode_data: TypeError on every message under Python 3) that counts and prints one
# line; atexit.register(report) prints the totals when the interpreter exits; the server
# is built at module level and asyncore.loop() runs bare, so Ctrl+C ends it with a
# KeyboardInterrupt traceback before the atexit report.
import asyncore
import atexit
import smtpd
from collections import Counter

from _record import record


class CountingServer(smtpd.SMTPServer):
    per_domain = Counter()
    messages = 0

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        CountingServer.messages += 1
        for rcpt in rcpttos:
            self.per_domain[rcpt.rpartition("@")[2]] += 1
        print("message %d: %d recipient(s)" % (self.messages, len(rcpttos)))


def report():
    print("messages:", CountingServer.messages)
    for domain, n in sorted(CountingServer.per_domain.items()):
        print("  %s: %d" % (domain, n))


atexit.register(report)
server = CountingServer(("127.0.0.1", 0), None)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
