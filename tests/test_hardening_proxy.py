"""PureProxy relays as legacy did, and never hangs on its upstream (issue 9 finding,
issue 10 risk).

Differential: the same raw dialogue through Python 3.11's real ``smtpd.PureProxy``
and through ours, each relaying to a real upstream SMTP sink that records the bytes
it receives; the recorded transactions must be equal. Legacy relayed str data
(``decode_data=True``; with bytes its 4-argument ``process_message`` raised), which
smtplib sent with CRLF line ends: ours must send the same for str and bytes alike.
"""

from __future__ import annotations

import os
import socket
import subprocess
import textwrap
import threading
from typing import Any, Dict, List, Tuple

import pytest

import smtpd_compat
from differential_harness import oracle_python
from smtp_helpers import TIMEOUT, RawClient

BODY = (
    b"Subject: relay\r\nX-Other: header\r\n\r\nline one\r\n..leading dot\r\n"
    b"bare\nline feed\r\nbare\rcarriage return\r\n\r\nlast line\r\n"
)


class UpstreamSink:
    """A real SMTP server that records each transaction's commands and raw DATA
    bytes; with ``silent`` it accepts connections and never answers."""

    def __init__(self, silent: bool = False) -> None:
        self.silent = silent
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(TIMEOUT)
        self.port: int = self.listener.getsockname()[1]
        self.transactions: List[Tuple[List[bytes], bytes]] = []
        self.connections = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        self.connections += 1
        with conn:
            conn.settimeout(TIMEOUT)
            if self.silent:
                conn.recv(1)  # until the relay gives up and closes
                self.done.set()
                return
            self._dialogue(conn.makefile("rb"), conn)
        self.done.set()

    def _dialogue(self, reader: Any, conn: socket.socket) -> None:
        conn.sendall(b"220 sink\r\n")
        commands: List[bytes] = []
        while True:
            line = reader.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = reader.readline()
                    if not chunk:
                        return
                    data += chunk
                self.transactions.append((commands, data))
                commands = []
                conn.sendall(b"250 queued\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                if verb not in (b"EHLO", b"HELO"):  # the greeting names the host
                    commands.append(line.upper())  # smtplib 3.13 writes "mail from:"
                conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.listener.close()
        self.thread.join(TIMEOUT)


def send_through(port: int) -> bytes:
    client = RawClient(port)
    try:
        client.reply()
        client.command(b"HELO client.example")
        client.command(b"MAIL FROM:<from@example.com>")
        client.command(b"RCPT TO:<to@example.com>")
        client.command(b"DATA")
        return client.command(BODY + b".\r\n")
    finally:
        client.close()


LEGACY_PROXY = textwrap.dedent(
    """
    import asyncore, smtpd, sys
    proxy = smtpd.PureProxy(("127.0.0.1", 0), ("127.0.0.1", int(sys.argv[1])), decode_data=True)
    print(proxy.socket.getsockname()[1], flush=True)
    asyncore.loop(timeout=1)
    """
)


def relayed_by_legacy(sink: UpstreamSink) -> Tuple[bytes, List[Tuple[List[bytes], bytes]]]:
    python = oracle_python()
    if python is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the oracle, Python 3.11 with its real smtpd, is missing")
        pytest.skip("needs Python 3.11 with its real smtpd (set SMTPD_COMPAT_ORACLE_PYTHON)")
    proc = subprocess.Popen(
        [python, "-W", "ignore", "-c", LEGACY_PROXY, str(sink.port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        reply = send_through(int(proc.stdout.readline()))
        assert sink.done.wait(TIMEOUT)
    finally:
        proc.kill()
        proc.communicate(timeout=TIMEOUT)
    return reply, sink.transactions


def relayed_by_us(
    sink: UpstreamSink, proxy_class: Any = smtpd_compat.PureProxy, **options: Any
) -> Tuple[bytes, Any]:
    """Our proxy served by ``smtpd_compat.loop()`` over its own map, as a program would."""
    socket_map: Dict[int, Any] = {}
    proxy = proxy_class(("127.0.0.1", 0), ("127.0.0.1", sink.port), map=socket_map, **options)
    loop = threading.Thread(target=smtpd_compat.loop, kwargs={"map": socket_map}, daemon=True)
    loop.start()
    try:
        reply = send_through(proxy.socket.getsockname()[1])
        assert sink.done.wait(TIMEOUT)
    finally:
        proxy.close()
        loop.join(TIMEOUT)
    assert not loop.is_alive()
    return reply, sink.transactions


@pytest.mark.parametrize("decode_data", [True, False])
def test_relayed_bytes_equal_legacy_pureproxy(decode_data: bool) -> None:
    legacy_sink, our_sink = UpstreamSink(), UpstreamSink()
    try:
        legacy = relayed_by_legacy(legacy_sink)
        ours = relayed_by_us(our_sink, decode_data=decode_data)
    finally:
        legacy_sink.close()
        our_sink.close()
    assert ours == legacy
    ((commands, data),) = ours[1]
    assert b"\r\nX-Peer: 127.0.0.1\r\n\r\nline one\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n"), "no bare LF reaches the upstream"


def test_a_stuck_upstream_cannot_pin_the_session() -> None:
    """An upstream that accepts and never answers: the relay gives up after
    ``relay_timeout`` and the client gets its reply (legacy waited forever)."""

    class QuickProxy(smtpd_compat.PureProxy):
        relay_timeout = 0.5

    silent = UpstreamSink(silent=True)
    try:
        reply, _ = relayed_by_us(silent, QuickProxy)
    finally:
        silent.close()
    assert silent.connections == 1
    # Legacy's answer after a failed relay: 250 (the refusals go to DEBUGSTREAM).
    assert reply == b"250 OK\r\n"


def test_relay_timeout_is_a_documented_class_attribute() -> None:
    assert smtpd_compat.PureProxy.relay_timeout == 60.0
