# One sink class served twice in one loop: a text-mode instance (the one tested) and a
# bytes-mode one, each process_message seeing what its own decode_data gave it.
import asyncore
import smtpd

from _record import record


class ModeSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print(type(data).__name__, sorted(kwargs), flush=True)


text_sink = ModeSink(("127.0.0.1", 0), None, decode_data=True)
bytes_sink = ModeSink(("127.0.0.1", 0), None, decode_data=False)
print(text_sink.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    asyncore.close_all()
