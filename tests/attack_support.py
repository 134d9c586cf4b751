"""Helpers for the attack tests (issue 6): deadline clients, leak counters, the
legacy data model, and a server program run in a subprocess for memory checks.

Every socket operation has a timeout; every wait has a deadline. Waiting for an
asynchronous effect (a session closing on the server) polls a cheap predicate
until a deadline: the outcome never depends on the timing, only the speed does.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import ssl
import struct
import threading
import time
from typing import Any, Callable, Iterator, List

import smtpd_compat

TIMEOUT = 10.0
CRLF = b"\r\n"
END = b"\r\n.\r\n"
OK = b"250 OK\r\n"
R354 = b"354 End data with <CR><LF>.<CR><LF>\r\n"
R451 = b"451 Requested action aborted: error in processing\r\n"
R421_SHUTDOWN = b"421 Service shutting down and closing transmission channel\r\n"
TOO_LONG = b"500 Error: line too long\r\n"
TOO_MUCH = b"552 Error: Too much mail data\r\n"
SIZE_EXCEEDED = b"552 Error: message size exceeds fixed maximum message size\r\n"
NEED_MAIL = b"503 Error: need MAIL command\r\n"
QUICKACK = getattr(socket, "TCP_QUICKACK", None)


def legacy_data(stream: bytes) -> bytes:
    """What legacy smtpd passed to ``process_message`` for the DATA input ``stream``
    (everything the client sent after ``DATA\\r\\n``), written independently of the
    engine: the body ends at the first CRLF.CRLF, is split on CRLF, loses one
    leading dot per line and is joined with LF. Bare CR and LF stay as they are."""
    body = stream[: stream.index(END)]
    lines = [line[1:] if line.startswith(b".") else line for line in body.split(CRLF)]
    return b"\n".join(lines)


def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes; its last value."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return predicate()
        time.sleep(0.01)
    return True


# -- leak counters -----------------------------------------------------------------


def open_fds(pid: Any = "self") -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def engine_threads() -> List[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("smtpd_compat-")]


def proc_status(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` size field (VmRSS, VmHWM) in bytes."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def event_loop_thread_class() -> Any:
    """The engine's shared loop thread class, wherever the engine keeps it."""
    for name in ("_threads", "_bridge"):
        try:
            module = importlib.import_module("smtpd_compat." + name)
        except ImportError:
            continue
        if hasattr(module, "EventLoopThread"):
            return module.EventLoopThread
    raise AssertionError("smtpd_compat has no EventLoopThread")


def loop_tasks() -> int:
    """Tasks alive on the shared event loop (0 when no connection holds one)."""
    current = event_loop_thread_class().acquire_existing()
    if current is None:
        return 0

    async def count() -> int:
        import asyncio

        return len(asyncio.all_tasks()) - 1  # not this one

    try:
        result: int = current.run(count(), TIMEOUT)
    finally:
        current.release()
    return result


def close_clients() -> None:
    while Client.opened:
        Client.opened.pop().close()


@contextlib.contextmanager
def no_leaks() -> Iterator[None]:
    """Around a block that opens and closes servers: no engine thread and no file
    descriptor survive it (clients made in the block are closed first)."""
    # the event loop's helper outlives the last session by _threads.LINGER seconds
    assert wait_until(lambda: not engine_threads()), "a server from another test is still open"
    close_clients()
    before = open_fds()
    yield
    close_clients()
    assert wait_until(lambda: not engine_threads()), engine_threads()
    assert wait_until(lambda: open_fds() <= before), (before, open_fds(), fd_targets())


def fd_targets() -> List[str]:
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
    return targets


def quiet_sessions(server: Any, timeout: float = TIMEOUT) -> bool:
    """Wait until the server holds no session (every disconnect processed)."""
    return wait_until(lambda: not server._connections, timeout)


def no_user_code_pending(server: Any, timeout: float = TIMEOUT) -> bool:
    """Wait until no user code is queued or running for the server's program loop.

    A session can end while its ``process_message`` still waits for the program's
    thread: legacy processed everything received before the client left, and so do
    we, so that call comes after the session is gone."""
    jobs = server._program_jobs
    return wait_until(lambda: not jobs._jobs and not jobs.running_jobs, timeout)


# -- clients -------------------------------------------------------------------------


class Client:
    """A raw SMTP client: whole replies, EOF detection, nothing blocks past TIMEOUT."""

    #: Every client made, so that a fixture can close the ones a test left open.
    opened: List[Client] = []

    def __init__(self, port: int, timeout: float = TIMEOUT, rcvbuf: int = 0) -> None:
        Client.opened.append(self)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        if rcvbuf:  # before connect, so that the window stays small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    @classmethod
    def of(cls, server: Any, banner: bool = True) -> Client:
        client = cls(server.socket.getsockname()[1])
        if banner:
            reply = client.reply()
            assert reply.startswith(b"220 "), reply
        return client

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if QUICKACK is not None and not isinstance(self.sock, ssl.SSLSocket):
            # ACK at once: the server's Nagle delay (no TCP_NODELAY on accepted
            # sockets, see test_load) would otherwise add 40 ms per pipelined reply.
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
        self.buffer += chunk
        return bool(chunk)

    def reply(self) -> bytes:
        """One complete reply; ConnectionError if the server closes first."""
        start = 0
        while True:
            end = self.buffer.find(CRLF, start)
            if end < 0:
                if not self._fill():
                    raise ConnectionError(f"closed by server; pending {self.buffer!r}")
                continue
            if self.buffer[start + 3 : start + 4] != b"-":
                reply, self.buffer = self.buffer[: end + 2], self.buffer[end + 2 :]
                return reply
            start = end + 2

    def replies(self, count: int) -> bytes:
        return b"".join(self.reply() for _ in range(count))

    def command(self, line: bytes) -> bytes:
        self.send(line + CRLF)
        return self.reply()

    def rest(self) -> bytes:
        """Everything until the server closes (socket.timeout if it never does)."""
        while self._fill():
            pass
        rest, self.buffer = self.buffer, b""
        return rest

    def envelope(self, greet: bytes = b"EHLO client.example") -> None:
        for line in (greet, b"MAIL FROM:<a@example.com>", b"RCPT TO:<b@example.com>"):
            reply = self.command(line)
            assert reply.startswith(b"250"), (line, reply)
        assert self.command(b"DATA") == R354

    def reset(self) -> None:
        """Close with RST (SO_LINGER 0) instead of FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def close(self) -> None:
        self.sock.close()


def served(server: Any) -> bool:
    """A fresh client gets the banner and a full message through."""
    client = Client.of(server)
    try:
        client.envelope()
        client.send(b"still serving\r\n.\r\n")
        ok = client.reply() == OK
        return ok and client.command(b"QUIT") == b"221 Bye\r\n"
    finally:
        client.close()


class PlainRecorder(smtpd_compat.SMTPServer):
    """Records ``data`` only; an event per call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.calls: List[Any] = []
        self.received = threading.Event()
        super().__init__(*args, **kwargs)

    def process_message(self, peer: Any, mailfrom: str, rcpttos: Any, data: Any, **kw: Any) -> Any:
        self.calls.append(data)
        self.received.set()
        return None
