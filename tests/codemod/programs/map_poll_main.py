# A sink script that polls while the shared socket map holds its server, one pass at a
# time; Ctrl+C closes the server and prints a tally.
import asyncore
import smtpd

from _record import record


class TallySink(smtpd.SMTPServer):
    def __init__(self, localaddr, remoteaddr):
        smtpd.SMTPServer.__init__(self, localaddr, remoteaddr)
        self.tally = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.tally += len(rcpttos)


sink = TallySink(("127.0.0.1", 0), None)
print(sink.socket.getsockname()[1], flush=True)
try:
    while asyncore.socket_map:
        asyncore.loop(timeout=0.2, count=1)
except KeyboardInterrupt:
    sink.close()
    print("recipients:", sink.tally, flush=True)
