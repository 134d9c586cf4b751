"""Load (issue 6): 1,000 concurrent connections on loopback, each sending one
message to a slow ``process_message`` (5 ms, one call at a time, as legacy code
expects): every message is accepted exactly once, no connection is refused, and a
probe connection gets its banner and EHLO reply in well under a second meanwhile.

The clients run in a subprocess (tests/attack_load_client.py, asyncio), so that they
do not share this process's GIL with the server.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Iterator, List

import pytest

from attack_support import OK, R354, Client, PlainRecorder, wait_until

CONNECTIONS = 1000
HERE = os.path.dirname(os.path.abspath(__file__))
LOAD_CLIENT = os.path.join(HERE, "attack_load_client.py")


class SlowSink(PlainRecorder):
    """5 ms per message, on the single worker thread."""

    def process_message(self, peer: Any, mailfrom: str, rcpttos: Any, data: Any, **kw: Any) -> Any:
        threading.Event().wait(0.005)
        return super().process_message(peer, mailfrom, rcpttos, data, **kw)


@pytest.fixture
def enough_descriptors() -> Iterator[None]:
    """Both ends of every connection live on this machine: raise the soft limit."""
    needed = CONNECTIONS + 500
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {needed}")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def probe(port: int) -> float:
    """Seconds from connect to the EHLO reply."""
    started = time.monotonic()
    client = Client(port)
    try:
        assert client.reply().startswith(b"220 ")
        assert client.command(b"EHLO probe.example").startswith(b"250-")
        elapsed = time.monotonic() - started
        assert client.command(b"QUIT") == b"221 Bye\r\n"
    finally:
        client.close()
    return elapsed


@pytest.mark.slow
def test_thousand_concurrent_connections(make_server: Any, enough_descriptors: None) -> None:
    server: SlowSink = make_server(SlowSink)
    port = server.socket.getsockname()[1]
    started = time.monotonic()
    command = [sys.executable, LOAD_CLIENT, str(port), str(CONNECTIONS)]
    with subprocess.Popen(command, stdout=subprocess.PIPE) as load:
        try:
            # Messages flow once all connections are open: probe while most still wait.
            assert wait_until(lambda: len(server.calls) >= 50, 40), len(server.calls)
            latencies: List[float] = []
            while len(server.calls) < CONNECTIONS - 200 and len(latencies) < 5:
                latencies.append(probe(port))
            stdout, _ = load.communicate(timeout=60)
        finally:
            if load.poll() is None:
                load.kill()
                load.wait(10)
    took = time.monotonic() - started
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    print(
        f"\nload: {len(result['done'])}/{CONNECTIONS} dialogues in {took:.1f} s, "
        f"probe latencies {[round(x, 3) for x in latencies]}"
    )
    assert result["errors"] == [], result["errors"]
    assert result["done"] == list(range(CONNECTIONS))
    assert sorted(server.calls) == sorted(b"message %d" % n for n in range(CONNECTIONS))
    assert latencies, "the load ended before a probe could run"
    assert max(latencies) < 1.0, latencies


def test_accepted_sockets_disable_nagle(make_server: Any) -> None:
    server = make_server(PlainRecorder)
    client = Client.of(server)
    assert wait_until(lambda: len(server._connections) == 1)
    (session,) = server._connections
    sock = session.transport.get_extra_info("socket")
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    client.envelope()
    client.send(b"x\r\n.\r\n")
    assert client.reply() == OK
    _ = R354
