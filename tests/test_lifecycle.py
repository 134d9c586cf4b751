"""Connection life cycle under attack (issue 6): clients that vanish at every point
of a dialogue (FIN or RST), stall (idle timeout), fail their TLS handshake; the
graceful shutdown of ``close()``; and nothing left behind: no ``smtpd_compat-*``
thread, file descriptor or event-loop task outlives its server or session.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from typing import Any, Iterator, List

import pytest

from attack_support import (
    OK,
    R354,
    R421_SHUTDOWN,
    TIMEOUT,
    Client,
    PlainRecorder,
    engine_threads,
    loop_tasks,
    no_leaks,
    no_user_code_pending,
    quiet_sessions,
    served,
    wait_until,
)
from smtp_helpers import start_program_loop

DIALOGUE = (
    b"EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n"
    b"DATA\r\nSubject: cut\r\n\r\nbody\r\n.\r\n"
)
COMPLETE = len(DIALOGUE)  # a cut at or after this offset leaves a whole message
DELIVERED = b"Subject: cut\n\nbody"


@pytest.fixture
def servers() -> Iterator[List[Any]]:
    """Servers made inside a no_leaks() block, each served by a program loop
    thread: closed, loops joined, then checked for leftovers."""
    made = Servers()
    with no_leaks():
        yield made
        for server in made:
            server.close()
        for loop in made.loops:
            loop.join(TIMEOUT)
            assert not loop.is_alive()


class Servers(List[Any]):
    loops: List[threading.Thread]

    def __init__(self) -> None:
        super().__init__()
        self.loops = []


def make(servers: Servers, cls: Any = PlainRecorder, **kwargs: Any) -> Any:
    server = cls(("127.0.0.1", 0), None, **kwargs)
    servers.append(server)
    if not any(loop.is_alive() for loop in servers.loops):
        servers.loops.append(start_program_loop(server._map))
    return server


def session_count_back_to_zero(server: Any) -> None:
    assert quiet_sessions(server), server._connections
    assert wait_until(lambda: loop_tasks() == 0), loop_tasks()
    assert no_user_code_pending(server)


# -- disconnects -------------------------------------------------------------------


@pytest.mark.parametrize("how", ["close", "reset"])
def test_disconnect_at_every_point(servers: Any, how: str) -> None:
    server = make(servers)
    dialogue = DIALOGUE + b"QUIT\r\n"
    for cut in range(len(dialogue) + 1):
        client = Client.of(server, banner=cut > 0)
        client.send(dialogue[:cut])
        if how == "reset":
            client.reset()
        else:
            client.close()
    session_count_back_to_zero(server)
    complete = len(dialogue) + 1 - COMPLETE
    if how == "close":
        # asyncore read what came before the FIN, and so do we: whole messages count.
        assert server.calls == [DELIVERED] * complete
    else:
        assert set(server.calls) <= {DELIVERED} and len(server.calls) <= complete
    del server.calls[:]
    assert served(server)
    assert server.calls == [b"still serving"]


@pytest.mark.parametrize("how", ["close", "reset"])
def test_disconnect_while_process_message_runs(servers: Any, how: str) -> None:
    class Blocking(PlainRecorder):
        release = threading.Event()

        def process_message(self, *args: Any, **kwargs: Any) -> Any:
            super().process_message(*args, **kwargs)
            assert self.release.wait(TIMEOUT)

    server = make(servers, Blocking)
    client = Client.of(server)
    client.envelope()
    client.send(b"Subject: cut\r\n\r\nbody\r\n.\r\n")
    assert server.received.wait(TIMEOUT)
    client.reset() if how == "reset" else client.close()
    server.release.set()
    session_count_back_to_zero(server)
    assert served(server)
    assert server.calls == [DELIVERED, b"still serving"]


def test_replies_to_a_client_that_never_reads(servers: Any) -> None:
    """Output the client does not read is bounded; the server stops reading it.

    Each 500-byte unknown command echoes a 540-byte reply: once the client's
    window, the kernel buffers and the transport's write buffer are full, the
    session must stop taking input (and so stop growing)."""
    server = make(servers)
    client = Client(server.socket.getsockname()[1], timeout=1.0, rcvbuf=4096)
    sent = 0
    try:
        while sent < 128 << 20:
            client.send((b"X" * 500 + b"\r\n") * 2000)
            sent += 502 * 2000
    except (socket.timeout, OSError):
        pass
    # 1 MiB of unprocessed input, the transport's write buffer, the kernel's buffers.
    assert sent < 64 << 20, "the server read 64 MiB of commands nobody took replies for"
    client.reset()
    session_count_back_to_zero(server)
    assert served(server)


# -- stalls: the idle timeout ----------------------------------------------------


STALLS = {
    "after_banner": b"",
    "mid_command": b"EHLO client.exa",
    "after_data": DIALOGUE[: DIALOGUE.index(b"Subject")],
    "mid_data": DIALOGUE[:-5],
    "mid_terminator": DIALOGUE[:-2],
}


@pytest.mark.parametrize("where", sorted(STALLS))
def test_stalled_client_is_disconnected(servers: Any, where: str) -> None:
    server = make(servers, timeout=0.3)
    client = Client.of(server)
    client.send(STALLS[where])
    started = time.monotonic()
    rest = client.rest()  # socket timeout: TIMEOUT seconds
    assert time.monotonic() - started < TIMEOUT / 2
    assert rest.endswith(R354) or not rest.startswith(b"354"), rest
    assert server.calls == []
    session_count_back_to_zero(server)
    assert served(server)


def test_timeout_class_attribute(servers: Any) -> None:
    class Impatient(PlainRecorder):
        timeout = 0.2

    server = make(servers, Impatient)
    client = Client.of(server)
    assert client.rest() == b""
    assert PlainRecorder.timeout == 300.0


def test_active_client_is_not_idle(servers: Any) -> None:
    server = make(servers, timeout=0.4)
    client = Client.of(server)
    deadline = time.monotonic() + 1.2  # three idle timeouts
    while time.monotonic() < deadline:
        assert client.command(b"NOOP") == OK
        time.sleep(0.1)
    assert client.command(b"QUIT") == b"221 Bye\r\n"


def test_slow_process_message_is_not_idleness(servers: Any) -> None:
    class Slow(PlainRecorder):
        def process_message(self, *args: Any, **kwargs: Any) -> Any:
            threading.Event().wait(1.0)  # longer than the idle timeout, on purpose
            return super().process_message(*args, **kwargs)

    server = make(servers, Slow, timeout=0.3)
    client = Client.of(server)
    client.envelope()
    client.send(b"slow\r\n.\r\n")
    assert client.reply() == OK
    assert server.calls == [b"slow"]


# -- TLS handshakes that fail ---------------------------------------------------------


def client_hello(context: ssl.SSLContext) -> bytes:
    """The first bytes a real TLS client sends (memory BIOs, no socket)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def starttls(server: Any) -> Client:
    client = Client.of(server)
    assert client.command(b"EHLO client.example").startswith(b"250-")
    assert client.command(b"STARTTLS") == b"220 Ready to start TLS\r\n"
    return client


FAILURES = ["garbage", "smtp_in_clear", "close", "reset", "half_hello_close", "wrong_ca"]


@pytest.mark.parametrize("failure", FAILURES)
def test_failed_tls_handshake(
    servers: Any, tls_contexts: Any, failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    server_context, client_context = tls_contexts
    server = make(servers, tls_context=server_context)
    client = starttls(server)
    hello = client_hello(client_context)
    with caplog.at_level(logging.INFO, logger="smtpd_compat"):
        if failure == "garbage":
            client.send(b"\x16\x03\x01\x00\x05garbage" * 100)
        elif failure == "smtp_in_clear":
            client.send(b"MAIL FROM:<evil@example.com>\r\n")
        elif failure == "half_hello_close":
            client.send(hello[: len(hello) // 2])
        elif failure == "wrong_ca":
            stranger = ssl.create_default_context()  # does not trust our CA
            with pytest.raises(ssl.SSLError):
                stranger.wrap_socket(client.sock, server_hostname="127.0.0.1")
        if failure == "reset":
            client.reset()
        elif failure in ("close", "half_hello_close"):
            client.close()
        else:
            with pytest.raises((OSError, ConnectionError)):
                client.rest()
                raise ConnectionError("closed")
            client.close()
    assert server.calls == []
    assert served(server)
    # A real TLS client is served too.
    tls = starttls(server)
    tls.sock = client_context.wrap_socket(tls.sock, server_hostname="127.0.0.1")
    assert tls.command(b"EHLO x").startswith(b"250-")
    tls.envelope(b"NOOP")
    tls.send(b"over tls\r\n.\r\n")
    assert tls.reply() == OK
    tls.close()
    assert server.calls == [b"still serving", b"over tls"]


def test_failed_tls_handshake_releases_the_session(servers: Any, tls_contexts: Any) -> None:
    server_context, client_context = tls_contexts
    server = make(servers, tls_context=server_context)
    for failure in FAILURES:
        client = starttls(server)
        if failure == "garbage":
            client.send(b"\x16\x03\x01\x00\x05garbage")
        elif failure == "smtp_in_clear":
            client.send(b"MAIL FROM:<evil@example.com>\r\n")
        elif failure == "half_hello_close":
            client.send(client_hello(client_context)[:20])
        elif failure == "wrong_ca":
            with pytest.raises(ssl.SSLError):
                ssl.create_default_context().wrap_socket(client.sock, server_hostname="127.0.0.1")
        client.reset() if failure == "reset" else client.close()
    assert quiet_sessions(server, 2.0), server._connections
    assert wait_until(lambda: loop_tasks() == 0, 2.0), loop_tasks()


def test_stalled_tls_handshake_honours_the_idle_timeout(servers: Any, tls_contexts: Any) -> None:
    server_context, client_context = tls_contexts
    server = make(servers, tls_context=server_context, timeout=0.3)
    client = starttls(server)
    client.send(client_hello(client_context)[:10])
    client.sock.settimeout(1.5)
    try:
        closed = client.rest() == b""
    except socket.timeout:
        closed = False
    finally:
        client.close()
    assert closed


# -- graceful shutdown -------------------------------------------------------------


class Gate(PlainRecorder):
    """process_message waits for ``release`` (set by the test)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.release = threading.Event()
        self.finished = threading.Event()
        super().__init__(*args, **kwargs)

    def process_message(self, *args: Any, **kwargs: Any) -> Any:
        super().process_message(*args, **kwargs)
        self.release.wait(TIMEOUT)
        self.finished.set()
        return None


def refused(server_port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", server_port), timeout=TIMEOUT).close()
    except ConnectionRefusedError:
        return True
    return False


def test_close_drains_transactions_and_421s_idle_sessions(servers: Any) -> None:
    """close() waits for a running process_message and lets a client in DATA finish
    its message; idle sessions get 421 at once, the others after their reply."""
    server = make(servers, Gate)
    port = server.socket.getsockname()[1]
    busy, idle, mid_data = Client.of(server), Client.of(server), Client.of(server)
    busy.envelope()
    busy.send(b"in flight\r\n.\r\n")
    assert server.received.wait(TIMEOUT)
    idle.command(b"EHLO x")
    mid_data.envelope()
    mid_data.send(b"half a mess")
    closer = threading.Thread(target=server.close, name="closer")
    closer.start()
    assert idle.rest() == R421_SHUTDOWN
    assert refused(port)
    mid_data.send(b"age\r\n.\r\n")
    assert closer.is_alive(), "close() returned while process_message was running"
    server.release.set()
    closer.join(TIMEOUT)
    assert not closer.is_alive()
    assert busy.rest() == OK + R421_SHUTDOWN
    assert mid_data.rest() == OK + R421_SHUTDOWN
    assert server.calls == [b"in flight", b"half a message"]


def test_unfinished_data_gets_421_when_the_drain_ends(servers: Any) -> None:
    server = make(servers, drain_timeout=0.3)
    client = Client.of(server)
    client.envelope()
    client.send(b"never finished")
    started = time.monotonic()
    server.close()
    assert 0.3 <= time.monotonic() - started < 0.3 + 3
    assert client.rest() == R421_SHUTDOWN
    assert server.calls == []


def test_drain_timeout_bounds_close(servers: Any) -> None:
    class Stuck(Gate):
        drain_timeout = 0.3

    server = make(servers, Stuck)
    client = Client.of(server)
    client.envelope()
    client.send(b"stuck\r\n.\r\n")
    assert server.received.wait(TIMEOUT)
    started = time.monotonic()
    server.close()
    took = time.monotonic() - started
    assert took < 0.3 + 3, took
    assert not server.finished.is_set()
    assert client.rest() in (b"", R421_SHUTDOWN)
    server.release.set()  # the worker finishes later, into a closed session
    assert server.finished.wait(TIMEOUT)
    assert wait_until(lambda: not engine_threads()), engine_threads()


def test_drain_timeout_keyword(servers: Any) -> None:
    server = make(servers, Gate, drain_timeout=0.2)
    assert server.drain_timeout == 0.2


def test_close_twice_and_from_other_threads(servers: Any) -> None:
    server = make(servers)
    client = Client.of(server)
    threads = [threading.Thread(target=server.close, name=f"closer{i}") for i in range(4)]
    for thread in threads:
        thread.start()
    server.close()
    for thread in threads:
        thread.join(TIMEOUT)
        assert not thread.is_alive()
    server.close()
    assert client.rest() == R421_SHUTDOWN


def test_close_from_process_message(servers: Any) -> None:
    class SelfClosing(PlainRecorder):
        def process_message(self, *args: Any, **kwargs: Any) -> Any:
            super().process_message(*args, **kwargs)
            self.close()
            return None

    server = make(servers, SelfClosing)
    client = Client.of(server)
    client.envelope()
    client.send(b"last one\r\n.\r\n")
    # Issue 10, defect 3: the message was taken, so its 250 is sent before the 421.
    assert client.rest() == OK + R421_SHUTDOWN
    assert server.calls == [b"last one"]
    assert wait_until(lambda: not engine_threads()), engine_threads()


# -- leaks ------------------------------------------------------------------------------


def test_no_leaks_after_a_hostile_mix(servers: Any, tls_contexts: Any) -> None:
    server_context, _ = tls_contexts
    server = make(servers, tls_context=server_context, timeout=0.3)
    assert loop_tasks() == 0
    for round_ in range(3):
        stalled = Client.of(server)
        stalled.send(b"EHLO stall")
        for cut in (10, 60, len(DIALOGUE) - 3):
            client = Client.of(server)
            client.send(DIALOGUE[:cut])
            client.reset() if round_ % 2 else client.close()
        assert served(server)
        assert stalled.rest() == b""
        stalled.close()
    session_count_back_to_zero(server)
    assert server.calls == [b"still serving"] * 3
