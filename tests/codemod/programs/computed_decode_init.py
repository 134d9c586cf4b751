# A text-mode sink unless made with raw=True: __init__ computes decode_data for the
# base; a 4-argument process_message (smtpd passed no options in text mode).
import asyncore
import smtpd

from _record import record


class ModeSink(smtpd.SMTPServer):
    def __init__(self, localaddr, raw=False):
        super().__init__(localaddr, None, decode_data=not raw)
        self.lengths = []

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        self.lengths.append(len(data))


sink = ModeSink(("127.0.0.1", 0))
print(sink.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    sink.close()
    print("lengths", sink.lengths, flush=True)
