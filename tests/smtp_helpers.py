"""Helpers for the tests: a recording server, clients with timeouts."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import threading
from typing import Any, Iterator, List, Optional, Tuple

import smtpd_compat

TIMEOUT = 10.0


class Recorder(smtpd_compat.SMTPServer):
    """A sink that records every process_message call and the thread it ran on."""

    reply: Optional[str] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.calls: List[Tuple[tuple, dict]] = []
        self.threads: List[str] = []
        self.received = threading.Event()
        super().__init__(*args, **kwargs)

    def process_message(self, *args: Any, **kwargs: Any) -> Optional[str]:
        self.calls.append((args, kwargs))
        self.threads.append(threading.current_thread().name)
        self.received.set()
        return self.reply


PROGRAM_LOOP_THREAD = "program-loop"


def start_program_loop(socket_map: Any, name: str = PROGRAM_LOOP_THREAD) -> threading.Thread:
    """Run the program's loop over ``socket_map`` on a thread, as a legacy fixture
    did with ``Thread(target=asyncore.loop)``; it ends when the map empties."""
    thread = threading.Thread(
        target=smtpd_compat.loop, kwargs={"timeout": 30.0, "map": socket_map}, name=name
    )
    thread.start()
    return thread


def port_of(server: Any) -> int:
    port: int = server.socket.getsockname()[1]
    return port


@contextlib.contextmanager
def smtp_client(server: Any) -> Iterator[smtplib.SMTP]:
    client = smtplib.SMTP("127.0.0.1", port_of(server), timeout=TIMEOUT)
    try:
        yield client
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()
        client.close()


class RawClient:
    """A line-level SMTP client for malformed and pipelined input."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> bytes:
        """One complete reply (all its lines), CRLFs included."""
        lines = []
        while True:
            line = self._line()
            lines.append(line)
            if line[3:4] != b"-":
                return b"".join(lines)

    def command(self, line: bytes) -> bytes:
        self.send(line + b"\r\n")
        return self.reply()

    def _line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by server; pending %r" % self.buffer)
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line + b"\r\n"

    def at_eof(self) -> bool:
        """True when the server has closed the connection (nothing more to read)."""
        if self.buffer:
            return False
        return self.sock.recv(1) == b""

    def close(self) -> None:
        self.sock.close()
