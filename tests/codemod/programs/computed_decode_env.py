# A sink whose decode_data comes from the environment (bytes unless MAIL_SINK_TEXT=1),
# with a **kwargs process_message that sees the options smtpd passed in bytes mode.
import asyncore
import os
import smtpd

from _record import record

DECODE = os.environ.get("MAIL_SINK_TEXT", "") == "1"


class EnvSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print(type(data).__name__, sorted(kwargs), flush=True)


sink = EnvSink(("127.0.0.1", 0), None, decode_data=DECODE)
print(sink.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    sink.close()
