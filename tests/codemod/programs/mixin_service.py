# A service base class of the program's own, listed before the server base: it names
# the component, prefixes its log lines and owns the loop in serve_forever(), ending
# on Ctrl+C with a summary; the server class counts the messages it took.
import asyncore
import smtpd

from _record import record


class Component:
    label = "component"

    def log(self, text):
        print("%s: %s" % (self.label, text), flush=True)

    def serve_forever(self):
        self.log("serving")
        try:
            asyncore.loop(timeout=0.5)
        except KeyboardInterrupt:
            self.log("stopped after %d messages" % self.taken)


class Inbound(Component, smtpd.SMTPServer):
    label = "inbound"

    def __init__(self, localaddr):
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self.taken = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.taken += 1
        self.log("from %s to %s" % (mailfrom, ",".join(rcpttos)))


inbound = Inbound(("127.0.0.1", 0))
print(inbound.socket.getsockname()[1], flush=True)
inbound.serve_forever()
