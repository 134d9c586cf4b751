# Shape: a test helper keeping its own socket map: SMTPServer(..., map=self._map), the
# loop on Thread(target=asyncore.loop, kwargs={"map": ..., "timeout": ...}), shut down
# with asyncore.close_all(map=...); data decoded by the fixture (bytes in, str kept).
import asyncore
import smtpd
import sys
import threading

from _record import record


class MapServer(smtpd.SMTPServer):
    def __init__(self, localaddr, socket_map):
        self.received = []
        smtpd.SMTPServer.__init__(self, localaddr, None, map=socket_map)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.received.append(data.decode("utf-8", "replace"))


class SMTPFixture:
    def __init__(self):
        self._map = {}
        self.server = MapServer(("127.0.0.1", 0), self._map)
        self.thread = threading.Thread(
            target=asyncore.loop, kwargs={"map": self._map, "timeout": 0.05}
        )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        asyncore.close_all(map=self._map)
        self.thread.join(10)

    @property
    def port(self):
        return self.server.socket.getsockname()[1]


with SMTPFixture() as fixture:
    print(fixture.port, flush=True)
    sys.stdin.readline()
print("received", len(fixture.server.received))
for text in fixture.server.received:
    print(text.splitlines()[-1])
