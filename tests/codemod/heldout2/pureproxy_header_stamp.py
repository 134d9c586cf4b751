# Shape: an SMTP proxy with a content hook: a PureProxy subclass (decode_data=True) that
# stamps a header and calls PureProxy.process_message to relay to its remoteaddr; here
# the upstream is a second server in the same file on a private socket map and thread.
import asyncore
import smtpd
import threading

from _record import record


class UpstreamSink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("upstream got", mailfrom, rcpttos, len(data), "bytes", flush=True)


class StampingProxy(smtpd.PureProxy):
    def process_message(self, peer, mailfrom, rcpttos, data):
        head, sep, body = data.partition("\n\n")
        data = head + "\nX-Proxied-By: stamping-proxy" + sep + body
        smtpd.PureProxy.process_message(self, peer, mailfrom, rcpttos, data)
        print("relayed", mailfrom, "to", len(rcpttos), "recipients", flush=True)


upstream_map = {}
upstream = UpstreamSink(("127.0.0.1", 0), None, map=upstream_map)
upstream_thread = threading.Thread(
    target=asyncore.loop, kwargs={"timeout": 0.1, "map": upstream_map}, daemon=True
)
upstream_thread.start()
proxy = StampingProxy(("127.0.0.1", 0), upstream.socket.getsockname(), decode_data=True)
print(proxy.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    proxy.close()
    asyncore.close_all(map=upstream_map)
    upstream_thread.join(10)
