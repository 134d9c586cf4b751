# A sink in the style of an smtpd extension's example: __init__ only keeps its settings (no
# base __init__), serve_forever() calls smtpd.SMTPServer.__init__ itself and then blocks in
# the loop; the module makes the object and calls serve_forever(). The port comes from a
# setting (0 here), printed once bound.
import asyncore
import smtpd
import sys

from _record import record

SETTINGS = {"host": "127.0.0.1", "port": 0}


class LateBindingSink(smtpd.SMTPServer):
    def __init__(self, settings):
        self.settings = settings
        self.seen = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.seen += 1
        print("message", self.seen, "for", ",".join(rcpttos), flush=True)

    def serve_forever(self):
        smtpd.SMTPServer.__init__(
            self, (self.settings["host"], self.settings["port"]), None, decode_data=True
        )
        print(self.socket.getsockname()[1], flush=True)
        try:
            asyncore.loop(timeout=0.05)
        except KeyboardInterrupt:
            print("interrupted after", self.seen, flush=True)


sink = LateBindingSink(SETTINGS)
sink.serve_forever()
print("loop returned", file=sys.stderr)
