"""``python -m smtpd_compat`` with the legacy options, in real subprocesses."""

from __future__ import annotations

import os
import pwd
import queue
import smtplib
import socket
import subprocess
import sys
import threading
from typing import Any, Iterator, List

import pytest

import smtpd_compat
from smtp_helpers import TIMEOUT


def free_port() -> int:
    """A port for a CLI that takes one on its command line (bind 0, read it back)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smtpd_compat", *args],
        capture_output=True,
        timeout=TIMEOUT,
    )


class CLIProcess:
    """A running ``python -m smtpd_compat -d``; its output lines read with timeouts."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smtpd_compat", "-d", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.pid = self.proc.pid
        self.stdout: queue.Queue[bytes] = queue.Queue()
        self.stderr: queue.Queue[bytes] = queue.Queue()
        self.readers = [
            threading.Thread(target=self._pump, args=(pipe, lines), daemon=True)
            for pipe, lines in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr))
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _pump(pipe: Any, lines: queue.Queue[bytes]) -> None:
        for line in pipe:
            lines.put(line)

    def wait_for(self, text: bytes) -> None:
        """Wait for a debug line on stderr (``-d``), e.g. the listening address."""
        while text not in self.stderr.get(timeout=TIMEOUT):
            pass

    def stdout_lines(self, count: int) -> List[bytes]:
        return [self.stdout.get(timeout=TIMEOUT) for _ in range(count)]

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(TIMEOUT)
        for reader in self.readers:  # they end at EOF, once the process is gone
            reader.join(TIMEOUT)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def start_cli() -> Iterator:
    procs: List[CLIProcess] = []

    def start(*args: str) -> CLIProcess:
        proc = CLIProcess(*args)
        procs.append(proc)
        proc.wait_for(b"Local addr:")
        return proc

    yield start
    for proc in procs:
        proc.stop()


def test_version() -> None:
    result = run_cli("-V")
    assert result.returncode == 0
    assert result.stdout == b"Python SMTP proxy version 0.3\n"


@pytest.mark.parametrize(
    "args", [["--bogus"], ["localhost"], ["a:1", "b:2", "c:3"], ["-s", "big"], ["host:port"]]
)
def test_bad_arguments_print_usage_and_exit_2(args: List[str]) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert b"usage:" in result.stderr


def test_debugging_server_prints_messages(start_cli) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    proc = start_cli("-n", "-c", "DebuggingServer", "127.0.0.1:%d" % port)
    with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as client:
        client.sendmail("a@b.c", ["d@e.f"], "Subject: cli\r\n\r\nhello\r\n")
    lines = proc.stdout_lines(6)
    assert lines == [
        b"---------- MESSAGE FOLLOWS ----------\n",
        b"b'Subject: cli'\n",
        b"b'X-Peer: 127.0.0.1'\n",
        b"b''\n",
        b"b'hello'\n",
        b"------------ END MESSAGE ------------\n",
    ]


def test_class_from_a_module_path(start_cli) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    proc = start_cli("-n", "-c", "smtpd_compat.DebuggingServer", "-s", "100", "127.0.0.1:%d" % port)
    with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as client:
        assert client.ehlo()[1].splitlines()[1] == b"SIZE 100"
    proc.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root")
def test_binds_then_drops_to_nobody_without_n(start_cli) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    proc = start_cli("-c", "DebuggingServer", "127.0.0.1:%d" % port)
    proc.wait_for(b"Running as nobody")
    with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as client:
        assert client.noop()[0] == 250
    with open("/proc/%d/status" % proc.pid) as status:
        uid_line = next(line for line in status if line.startswith("Uid:"))
    assert int(uid_line.split()[1]) == pwd.getpwnam("nobody").pw_uid


def test_missing_tls_certificate_names_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = str(tmp_path / "missing.pem")
    result = run_cli("-n", "--tls-cert", missing, "127.0.0.1:%d" % free_port())
    assert result.returncode != 0
    assert missing.encode() in result.stderr


def test_console_script_is_declared() -> None:
    from importlib import metadata

    scripts = {ep.name: ep.value for ep in metadata.distribution("smtpd-compat").entry_points}
    assert scripts["smtpd-compat"] == "smtpd_compat._cli:main"
    assert smtpd_compat.__version__


def test_auth_and_proxy_flags(start_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import bcrypt

    users = tmp_path / "users"
    users.write_bytes(b"me:" + bcrypt.hashpw(b"secret", bcrypt.gensalt(rounds=4)) + b"\n")
    port = free_port()
    start_cli(
        "-n",
        "-c",
        "DebuggingServer",
        "--auth-file",
        str(users),
        "--auth-required",
        "--auth-allow-plaintext",
        "--proxy-protocol",
        "127.0.0.1:%d" % port,
    )
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n")
        client = smtplib.SMTP(timeout=TIMEOUT)
        client.sock = sock
        assert client.getreply()[0] == 220
        client.ehlo()
        assert client.mail("a@b.c")[0] == 530
        assert client.login("me", "secret")[0] == 235
        client.close()
