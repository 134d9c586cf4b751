# Shape: an integration test rig for a mail filter: two servers in one process, each on
# its own socket map. The "downstream" DownstreamSink(smtpd.SMTPServer, map=downstream_map)
# keeps what it receives and runs on a daemon thread looping
# asyncore.loop(timeout=0.1, map=downstream_map); the "front" FilterServer(smtpd.SMTPServer)
# (default map) built with remoteaddr=(host, downstream port) has a **kwargs process_message
# that adds an X-Filtered header and relays to self._remoteaddr with smtplib, returning
# "451 downstream unavailable" on an smtplib error; the main thread runs asyncore.loop()
# in try/except KeyboardInterrupt, then closes both servers and prints what the
# downstream got.
import asyncore
import smtpd
import smtplib
import threading

from _record import record

downstream_map = {}


class DownstreamSink(smtpd.SMTPServer):
    def __init__(self, localaddr):
        smtpd.SMTPServer.__init__(self, localaddr, None, map=downstream_map)
        self.received = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.received.append((mailfrom, list(rcpttos), data))


class FilterServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        data = b"X-Filtered: yes\r\n" + data.replace(b"\n", b"\r\n")
        try:
            client = smtplib.SMTP(*self._remoteaddr)
            try:
                client.sendmail(mailfrom, rcpttos, data)
            finally:
                client.quit()
        except smtplib.SMTPException as e:
            print("relay failed:", e.__class__.__name__)
            return "451 downstream unavailable"


downstream = DownstreamSink(("127.0.0.1", 0))
down_thread = threading.Thread(
    target=asyncore.loop, kwargs={"timeout": 0.1, "map": downstream_map}, daemon=True
)
down_thread.start()
front = FilterServer(("127.0.0.1", 0), downstream.socket.getsockname())
print(front.socket.getsockname()[1], flush=True)
try:
    asyncore.loop()
except KeyboardInterrupt:
    pass
front.close()
downstream.close()
print("downstream received %d message(s)" % len(downstream.received))
for mailfrom, rcpttos, data in downstream.received:
    print(" ", mailfrom, rcpttos, data.split(b"\n")[0])
