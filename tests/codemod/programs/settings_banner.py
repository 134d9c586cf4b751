# A capture server whose start-up banner prints what smtpd stored on the server
# (its bound and relay addresses, the size limit), read from outside the class.
import asyncore
import smtpd

from _record import record


class CaptureServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)


capture = CaptureServer(("127.0.0.1", 0), ("relay.invalid", 25), data_size_limit=4096)
print(capture.socket.getsockname()[1], flush=True)
print("relay:", capture._remoteaddr, "limit:", capture.data_size_limit)
print("decodes:", capture._decode_data, "host:", capture._localaddr[0])

try:
    asyncore.loop()
except KeyboardInterrupt:
    capture.close()
