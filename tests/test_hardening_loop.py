"""``smtpd_compat.loop()`` serves like ``asyncore.loop()``, without select() (issue 10,
defect 7).

Real asyncore dispatchers on real socket pairs, driven by ``smtpd_compat.loop``; a
real server whose wake-up descriptor is above 1023, in a subprocess.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import warnings
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import smtpd_compat
from smtp_helpers import TIMEOUT

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import asyncore

LOOP_TIMEOUT = 5.0

HIGH_FD_PROGRAM = textwrap.dedent(
    """
    import os, resource, smtplib, sys, threading
    import smtpd_compat as smtpd

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    filler = [os.open(os.devnull, os.O_RDONLY)]
    while filler[-1] < 1100:
        filler.append(os.open(os.devnull, os.O_RDONLY))

    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            print("message", data, flush=True)

    server = Sink(("127.0.0.1", 0), None)
    print("fds above 1023:", min(server._map) > 1023, flush=True)

    def client():
        try:
            with smtplib.SMTP("127.0.0.1", server.socket.getsockname()[1], timeout=10) as c:
                c.sendmail("a@b.c", ["d@e.f"], "high fd")
        finally:
            server.close()

    sender = threading.Thread(target=client)
    sender.start()
    smtpd.loop(timeout=30, use_poll=sys.argv[1] == "poll")
    sender.join(10)
    print("loop returned", flush=True)
    """
)


@pytest.mark.parametrize("mode", ["poll", "default"])
def test_loop_serves_descriptors_above_1023(mode: str) -> None:
    if not hasattr(os, "sysconf") or sys.platform == "win32":
        pytest.skip("RLIMIT_NOFILE is a POSIX limit")
    done = subprocess.run(
        [sys.executable, "-c", HIGH_FD_PROGRAM, mode], capture_output=True, timeout=60
    )
    assert done.stdout.decode().splitlines() == [
        "fds above 1023: True",
        "message b'high fd'",
        "loop returned",
    ], done.stderr.decode()
    assert done.returncode == 0


class Echo(asyncore.dispatcher_with_send):
    """Echoes what it reads; its output waits in a buffer until writable."""

    def __init__(self, sock: socket.socket, socket_map: Dict[int, Any]) -> None:
        super().__init__(sock, map=socket_map)
        self.events: List[str] = []
        self.errors: List[str] = []

    def handle_read(self) -> None:
        self.events.append("read")
        data = self.recv(4096)
        if data == b"boom":
            raise ValueError("boom")
        if data == b"exit":
            raise asyncore.ExitNow("exit")
        if data == b"interrupt":
            raise KeyboardInterrupt
        self.send(data.upper())

    def handle_write(self) -> None:
        self.events.append("write")
        super().handle_write()

    def handle_error(self) -> None:
        self.errors.append(repr(sys.exc_info()[1]))
        self.close()


@pytest.fixture
def echo() -> Iterator[Tuple[Echo, socket.socket, Dict[int, Any]]]:
    ours, peer = socket.socketpair()
    peer.settimeout(TIMEOUT)
    socket_map: Dict[int, Any] = {}
    dispatcher = Echo(ours, socket_map)
    yield dispatcher, peer, socket_map
    dispatcher.close()
    peer.close()


@pytest.mark.parametrize("use_poll", [False, True])
def test_readable_and_writable_dispatchers_are_served(echo: Any, use_poll: bool) -> None:
    dispatcher, peer, socket_map = echo
    peer.sendall(b"hello")
    # dispatcher_with_send tries to send at once; a full buffer waits for writable()
    dispatcher.out_buffer = b"queued "
    smtpd_compat.loop(timeout=LOOP_TIMEOUT, use_poll=use_poll, map=socket_map, count=1)
    assert "read" in dispatcher.events and "write" in dispatcher.events
    received = b""
    while len(received) < len(b"queued HELLO"):
        received += peer.recv(4096)
    assert received == b"queued HELLO"


@pytest.mark.parametrize("use_poll", [False, True])
def test_an_error_goes_to_handle_error_and_the_loop_ends_with_an_empty_map(
    echo: Any, use_poll: bool
) -> None:
    dispatcher, peer, socket_map = echo
    peer.sendall(b"boom")
    smtpd_compat.loop(timeout=LOOP_TIMEOUT, use_poll=use_poll, map=socket_map)
    assert dispatcher.errors == ["ValueError('boom')"]
    assert socket_map == {}


@pytest.mark.parametrize("use_poll", [False, True])
@pytest.mark.parametrize(
    "data, raised", [(b"exit", asyncore.ExitNow), (b"interrupt", KeyboardInterrupt)]
)
def test_exit_now_and_interrupts_end_the_loop(
    echo: Any, use_poll: bool, data: bytes, raised: type
) -> None:
    dispatcher, peer, socket_map = echo
    peer.sendall(data)
    with pytest.raises(raised):
        smtpd_compat.loop(timeout=LOOP_TIMEOUT, use_poll=use_poll, map=socket_map)
    assert dispatcher.errors == [] and socket_map


@pytest.mark.parametrize("use_poll", [False, True])
def test_peer_closing_closes_the_dispatcher(echo: Any, use_poll: bool) -> None:
    dispatcher, peer, socket_map = echo
    peer.close()
    smtpd_compat.loop(timeout=LOOP_TIMEOUT, use_poll=use_poll, map=socket_map)
    assert socket_map == {} and dispatcher.errors == []


@pytest.mark.parametrize("use_poll", [False, True])
def test_count_and_timeout_end_an_idle_loop(echo: Any, use_poll: bool) -> None:
    dispatcher, peer, socket_map = echo
    smtpd_compat.loop(timeout=0.01, use_poll=use_poll, map=socket_map, count=3)
    assert socket_map and dispatcher.events == []


def test_an_empty_map_returns_at_once() -> None:
    smtpd_compat.loop(timeout=LOOP_TIMEOUT, map={})
