# Options from module constants: the size limit and decode_data named once at the top.
import asyncore
import smtpd

from _record import record

DECODE = True
MAX_SIZE = 4096


class ConfiguredSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        print("text of", len(data), "characters", flush=True)
        record(peer, mailfrom, rcpttos, data)


server = ConfiguredSink(("127.0.0.1", 0), None, data_size_limit=MAX_SIZE, decode_data=DECODE)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
