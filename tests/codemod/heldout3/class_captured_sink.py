# Shape: a web app's e-mail settings test: a private _Sink server with a class-level
# "captured" list and a **kw process_message returning None; the test resets the list,
# binds port 0, runs asyncore.loop(timeout=1, count=...) from a lambda on a daemon
# thread, then closes the server, joins with a timeout and asserts on what was captured.
import asyncore
import smtpd
import sys
import threading

from _record import record


class _Sink(smtpd.SMTPServer):
    captured: list = []

    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        record(peer, mailfrom, rcpttos, data, **kw)
        _Sink.captured.append((mailfrom, rcpttos, data))
        return None


def test_real_loopback_send():
    _Sink.captured = []
    server = _Sink(("127.0.0.1", 0), None)
    port = server.socket.getsockname()[1]
    t = threading.Thread(target=lambda: asyncore.loop(timeout=1, count=100000), daemon=True)
    t.start()
    try:
        print(port, flush=True)
        sys.stdin.readline()  # the client under test sends here
    finally:
        server.close()
        t.join(timeout=3)
    assert _Sink.captured, "sink received no message"
    mailfrom, rcpttos, data = _Sink.captured[0]
    assert "bob@example.com" in rcpttos
    assert b"round trip" in data
    print("captured", len(_Sink.captured), [m for m, _, _ in _Sink.captured])


if __name__ == "__main__":
    test_real_loopback_send()
    print("passed")
