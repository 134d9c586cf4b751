# Shape: a spam-filter proxy between two Postfix instances: `import __main__ as smtpd`
# then `if not hasattr(smtpd, "PureProxy"): import smtpd` (so that the module works when
# loaded by smtpd's own main), SpambayesProxy(smtpd.PureProxy) with __init__(*args, **kwds)
# calling the base by name, a 4-argument process_message (default decode_data) that parses
# with Parser().parsestr in try/except/else, adds X-Peer, scores, returns "503 Error:
# probable spam" or relays through the base's _deliver and prints timings to stderr; run
# like smtpd's main: try: asyncore.loop() except KeyboardInterrupt: pass.
import asyncore
import os
import sys
import time

import __main__ as smtpd

if not hasattr(smtpd, "PureProxy"):
    import smtpd

from email.parser import Parser

from _record import record

__all__ = ["SpambayesProxy"]


class HammieFilter(object):  # noqa: UP004
    def __init__(self):
        self.dbname = os.path.expanduser("~/.hammiedb")
        self.h = None

    def open(self):
        if self.h is None:
            self.h = {"viagra": 0.99, "meeting": 0.01}

    def score_and_filter(self, msg):
        self.open()
        text = msg.get_payload()
        prob = max([p for word, p in self.h.items() if word in text] or [0.5])
        msg.add_header("X-Spambayes-Classification", "spam" if prob > 0.9 else "unsure")
        return prob, msg.as_string()


class SpambayesProxy(smtpd.PureProxy):
    def __init__(self, *args, **kwds):
        smtpd.PureProxy.__init__(self, *args, **kwds)
        self.h = HammieFilter()
        self.spam_cutoff = 0.9

    def log_message(self, data):
        """log message to unix mbox for later review"""
        pass

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        t1 = time.time()
        try:
            msg = Parser().parsestr(data)
        except:  # noqa: E722
            pass
        else:
            t2 = time.time()
            msg.add_header("X-Peer", peer[0])
            prob, data = self.h.score_and_filter(msg)
            t3 = time.time()
            try:
                if prob >= self.spam_cutoff:
                    self.log_message(data)
                    print("probable spam: %.2f" % prob, file=sys.stderr)
                    return "503 Error: probable spam"
                refused = self._deliver(mailfrom, rcpttos, data)
                t4 = time.time()
                print("refused:", refused, file=sys.stderr)
                print("deliver: %.2f filter: %.2f parse: %.2f" % (t4 - t3, t3 - t2, t2 - t1),
                      file=sys.stderr)
            except:  # noqa: E722
                import traceback

                traceback.print_exc()


if __name__ == "__main__":
    proxy = SpambayesProxy(("127.0.0.1", 0), ("127.0.0.1", 10026))
    print(proxy.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass
