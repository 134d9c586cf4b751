# Shape: a sink configured with an explicit small data_size_limit that prints the server
# internals it reads back at start-up (data_size_limit, _localaddr, _remoteaddr,
# _decode_data), then a **kwargs process_message counting bytes.
import asyncore
import smtpd

from _record import record


class LimitedSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("got %d bytes (limit %d)" % (len(data), self.data_size_limit))


sink = LimitedSink(("127.0.0.1", 0), None, data_size_limit=100)
print("limit", sink.data_size_limit)
print("local", sink._localaddr, "remote", sink._remoteaddr)
print("decode", sink._decode_data)
print(sink.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    sink.close()
