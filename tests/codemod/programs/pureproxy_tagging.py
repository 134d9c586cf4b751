# A PureProxy subclass that tags each message with a header and relays it through its
# base's process_message; the upstream is a small SMTP responder in the same file.
import asyncore
import smtpd
import socketserver
import threading

from _record import record

RELAYED = []


class UpstreamSession(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self):
        self.reply("220 upstream ready")
        for line in iter(self.rfile.readline, b""):
            verb = line[:4].upper()
            if verb == b"DATA":
                self.reply("354 go ahead")
                lines = iter(self.rfile.readline, b".\r\n")
                RELAYED.append(b"".join(lines).decode())
                self.reply("250 queued")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class TaggingProxy(smtpd.PureProxy):
    def __init__(self, localaddr, remoteaddr, tag):
        super().__init__(localaddr, remoteaddr, decode_data=True)
        self.tag = tag

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        if not data.isascii():
            return "550 5.6.0 this relay carries ASCII mail only"
        tagged = "X-Relay-Tag: %s\n%s" % (self.tag, data)
        super().process_message(peer, mailfrom, rcpttos, tagged)


upstream = socketserver.TCPServer(("127.0.0.1", 0), UpstreamSession)
threading.Thread(target=upstream.serve_forever, daemon=True).start()
proxy = TaggingProxy(("127.0.0.1", 0), upstream.server_address, "edge-1")
print(proxy.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    proxy.close()
    upstream.shutdown()
    print(len(RELAYED), "relayed", flush=True)
    for message in RELAYED:
        print(message, end="", flush=True)
