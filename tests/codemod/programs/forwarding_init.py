# A server whose __init__ takes *args, **kwargs and hands them on unchanged, keeping a
# list of its own; options (size limit, decode_data) come from the creating call.
import asyncore
import smtpd

from _record import record


class KeepingServer(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept = []

    def process_message(self, peer, mailfrom, rcpttos, data):
        self.kept.append(len(data))
        record(peer, mailfrom, rcpttos, data)


server = KeepingServer(("127.0.0.1", 0), None, 2048, decode_data=True)
print(server.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    print("kept", server.kept, "limit", server.data_size_limit, flush=True)
