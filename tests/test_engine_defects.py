"""Issue 10's engine defects, each pinned by a test that failed before the session
state machine (``_lifecycle``) and passes after. The loops of hundreds are in the
slow tier (CI runs it)."""

from __future__ import annotations

import base64
import logging
import socket
import threading
from typing import Any, List

import pytest

from attack_support import open_fds, wait_until
from smtp_helpers import TIMEOUT, Recorder, port_of, start_program_loop

R421 = b"421 Service shutting down and closing transmission channel\r\n"


def outcome_of_a_connect_just_before_close(server: Any) -> bytes:
    """What a client that connects as the server closes gets within 1 s."""
    sock = socket.create_connection(("127.0.0.1", port_of(server)), timeout=TIMEOUT)
    closer = threading.Thread(target=server.close)
    closer.start()
    sock.settimeout(1.0)  # the goal: an answer (or EOF/reset) within 1 s, never a hang
    received = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
    except ConnectionResetError:
        received += b"<reset>"
    finally:
        sock.close()
        closer.join(TIMEOUT)
    assert not closer.is_alive()
    return received


def close_race(rounds: int) -> None:
    fds_before = open_fds()
    for _ in range(rounds):
        server = Recorder(("127.0.0.1", 0), None)
        # A loop that took its snapshot of the map just before close() polls the
        # closed fds once (legacy's race too): a short timeout bounds that pass.
        loop = start_program_loop(server._map, timeout=0.5)
        received = outcome_of_a_connect_just_before_close(server)
        loop.join(TIMEOUT)
        assert not loop.is_alive()
        # EOF/reset, or 421 (after the banner if the session had started)
        assert received in (b"", b"<reset>") or received.endswith(R421), received
    assert wait_until(lambda: open_fds() <= fds_before), (fds_before, open_fds())


def test_a_client_connecting_just_before_close_never_hangs() -> None:
    """Defect 1: 59 of 100 such clients hung until their own timeout."""
    close_race(50)


@pytest.mark.slow
def test_a_thousand_connects_just_before_close() -> None:
    close_race(1000)


def up_to_starttls(server: Any, first: bytes = b"") -> socket.socket:
    """A client that sent ``first`` (a PROXY header), EHLO and STARTTLS."""
    sock = socket.create_connection(("127.0.0.1", port_of(server)), timeout=TIMEOUT)
    sock.sendall(first)
    reader = sock.makefile("rb")
    assert reader.readline().startswith(b"220 ")
    sock.sendall(b"EHLO x\r\n")
    while not reader.readline().startswith(b"250 "):
        pass
    sock.sendall(b"STARTTLS\r\n")
    assert reader.readline() == b"220 Ready to start TLS\r\n"
    return sock


def stalled_handshakes(server: Any, count: int) -> None:
    clients: List[socket.socket] = []
    for _ in range(count):
        clients.append(up_to_starttls(server))  # ... and never starts the handshake
    try:
        assert wait_until(lambda: not server._connections, TIMEOUT), len(server._connections)
    finally:
        for sock in clients:
            sock.close()


@pytest.mark.parametrize("count", [5])
def test_stalled_starttls_handshakes_release_their_sessions(
    make_server: Any, tls_contexts: Any, count: int
) -> None:
    """Defect 2: each stalled handshake left its session in the server for good,
    and close() then waited the whole drain_timeout."""
    server = make_server(Recorder, tls_context=tls_contexts[0], timeout=0.3)
    stalled_handshakes(server, count)


@pytest.mark.slow
def test_hundreds_of_stalled_handshakes(make_server: Any, tls_contexts: Any) -> None:
    server = make_server(Recorder, tls_context=tls_contexts[0], timeout=0.3)
    for _ in range(4):
        stalled_handshakes(server, 50)


def missing_proxy_header(server: Any) -> bytes:
    with socket.create_connection(("127.0.0.1", port_of(server)), timeout=TIMEOUT) as sock:
        return sock.recv(100)  # the idle timeout (300 s) would raise socket.timeout here


class QuickProxy(Recorder):
    proxy_protocol_timeout = 0.3


def test_proxy_protocol_timeout_closes_a_silent_client(make_server: Any) -> None:
    """Defect 4: a client that never sent its PROXY header stayed for ``timeout``."""
    server = make_server(QuickProxy, proxy_protocol=True)
    assert missing_proxy_header(server) == b""
    assert wait_until(lambda: not server._connections)


@pytest.mark.slow
def test_hundreds_of_silent_proxy_clients(make_server: Any) -> None:
    server = make_server(QuickProxy, proxy_protocol=True)
    fds_before = open_fds()
    silent = [
        socket.create_connection(("127.0.0.1", port_of(server)), timeout=TIMEOUT)
        for _ in range(200)
    ]
    try:
        assert all(sock.recv(100) == b"" for sock in silent)
    finally:
        for sock in silent:
            sock.close()
    assert wait_until(lambda: not server._connections)
    # 200 sessions leave no fd behind (one seen now and then, not per session:
    # noted in the closing note of issue 10 as a lead to follow)
    assert wait_until(lambda: open_fds() <= fds_before + 1), (fds_before, open_fds())


def test_proxy_data_survives_starttls(make_server: Any, tls_contexts: Any) -> None:
    """Defect 8: after STARTTLS the authenticator saw the load balancer."""
    seen: List[Any] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        seen.append((session.peer, session.proxy_data is not None, session.ssl is not None))
        return True

    server = make_server(
        Recorder, tls_context=tls_contexts[0], proxy_protocol=True, authenticator=authenticator
    )
    sock = up_to_starttls(server, b"PROXY TCP4 192.0.2.7 127.0.0.1 5555 25\r\n")
    tls = tls_contexts[1].wrap_socket(sock, server_hostname="127.0.0.1")
    reader = tls.makefile("rb")
    tls.sendall(b"EHLO x\r\n")
    while not reader.readline().startswith(b"250 "):
        pass
    tls.sendall(b"AUTH PLAIN " + base64.b64encode(b"\0alice\0secret") + b"\r\n")
    assert reader.readline().startswith(b"235 ")
    tls.sendall(b"MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n")
    for _ in range(3):
        reader.readline()
    tls.sendall(b"hi\r\n.\r\n")
    assert reader.readline() == b"250 OK\r\n"
    tls.close()
    assert seen == [(("192.0.2.7", 5555), True, True)]
    ((args, _),) = server.calls
    assert args[0] == ("192.0.2.7", 5555)


def test_aiosmtpd_lines_stay_out_of_the_program_log(
    make_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 9: a program's INFO log got three aiosmtpd lines per connection."""
    server = make_server(Recorder)
    with caplog.at_level(logging.INFO):
        with socket.create_connection(("127.0.0.1", port_of(server)), timeout=TIMEOUT) as sock:
            reader = sock.makefile("rb")
            assert reader.readline().startswith(b"220 ")
            sock.sendall(b"QUIT\r\n")
            assert reader.readline() == b"221 Bye\r\n"
        assert wait_until(lambda: not server._connections)
    assert [r.getMessage() for r in caplog.records] == []


class Stuck(Recorder):
    """process_message holds the program's loop until the test lets it go."""

    queued_bytes_limit = 50_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        super().__init__(*args, **kwargs)

    def process_message(self, *args: Any, **kwargs: Any) -> Any:
        self.entered.set()
        assert self.release.wait(TIMEOUT)
        return super().process_message(*args, **kwargs)


def send_message(port: int, body: bytes, replies: List[bytes]) -> threading.Thread:
    def talk() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            reader = sock.makefile("rb")
            reader.readline()
            sock.sendall(b"HELO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n")
            for _ in range(4):
                reader.readline()
            sock.sendall(body + b"\r\n.\r\n")
            replies.append(reader.readline())

    thread = threading.Thread(target=talk)
    thread.start()
    return thread


def test_bodies_waiting_for_a_stuck_process_message_are_bounded(make_server: Any) -> None:
    """Issue 10 risk: while user code is stuck, other sessions stopped reading once
    ``queued_bytes_limit`` bytes of bodies wait; then everything is delivered once."""
    server = make_server(Stuck)
    port = port_of(server)
    replies: List[bytes] = []
    first = send_message(port, b"x" * 1000, replies)
    assert server.entered.wait(TIMEOUT)
    second = send_message(port, b"y" * 60_000, replies)  # waits in the queue: over the limit
    assert wait_until(lambda: server._bodies.over_budget())
    third = send_message(port, b"z" * 3_000_000, replies)  # more than loopback buffers hold
    assert wait_until(lambda: len(server._bodies.waiting) == 1), "the third session reads on"
    server.release.set()
    for thread in (first, second, third):
        thread.join(TIMEOUT)
        assert not thread.is_alive()
    assert replies == [b"250 OK\r\n"] * 3
    assert sorted(len(args[3]) for args, _ in server.calls) == [1000, 60_000, 3_000_000]
    assert server._bodies.queued == 0 and not server._bodies.waiting
