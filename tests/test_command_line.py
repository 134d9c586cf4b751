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
    assert_one_line_error(result, missing.encode(), b"No such file or directory")


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


# -- start-up failures: one line saying what is wrong and what to do ----------


def assert_one_line_error(result: subprocess.CompletedProcess, *expected: bytes) -> None:
    """Exit status 2, one line on stderr holding ``expected``, no traceback."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(b"python -m smtpd_compat: error: ")
    for text in expected:
        assert text in lines[0]


def test_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli("-n", "-c", "DebuggingServer", "127.0.0.1:%d" % port)
    assert_one_line_error(
        result, b"127.0.0.1:%d" % port, b"Address already in use", b"choose another port"
    )


def test_port_in_use_with_d_shows_the_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        result = run_cli("-n", "-d", "127.0.0.1:%d" % taken.getsockname()[1])
    assert result.returncode == 2
    assert b"Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(b"python -m smtpd_compat: error: ")


@pytest.mark.parametrize("spec", ["127.0.0.1:70000", "127.0.0.1:-1"])
def test_port_out_of_range(spec: str) -> None:
    assert_one_line_error(run_cli("-n", spec), b"out of range", b"0 to 65535")


def test_remote_port_out_of_range() -> None:
    result = run_cli("-n", "127.0.0.1:%d" % free_port(), "relay:99999")
    assert_one_line_error(result, b"remote port 99999 is out of range")


def test_unresolvable_host() -> None:
    result = run_cli("-n", "no-such-host.invalid:2525")
    assert_one_line_error(result, b"cannot resolve 'no-such-host.invalid'", b"use an IP address")


def test_certificate_without_its_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import trustme

    cert = tmp_path / "cert.pem"
    trustme.CA().issue_cert("127.0.0.1").cert_chain_pems[0].write_to_path(str(cert))
    result = run_cli("-n", "--tls-cert", str(cert), "127.0.0.1:%d" % free_port())
    assert_one_line_error(result, str(cert).encode(), b"no private key", b"--tls-key")


def test_missing_certificate_from_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = str(tmp_path / "missing.pem")
    env = dict(os.environ, SMTPD_COMPAT_TLS_CERT=missing)
    result = subprocess.run(
        [sys.executable, "-m", "smtpd_compat", "-n", "127.0.0.1:%d" % free_port()],
        capture_output=True,
        timeout=TIMEOUT,
        env=env,
    )
    assert_one_line_error(result, missing.encode(), b"No such file", b"check the path")


@pytest.mark.parametrize(
    "classname, found",
    [
        ("SMTPChannel", b"a class without process_message"),
        ("os.path.join", b"join is a function"),
        ("smtpd_compat.NoSuchServer", b"NoSuchServer is nothing"),
        ("no_such_module.Server", b"cannot import no_such_module"),
    ],
)
def test_c_names_something_that_is_not_a_server_class(classname: str, found: bytes) -> None:
    result = run_cli("-n", "-c", classname, "127.0.0.1:%d" % free_port())
    assert_one_line_error(result, b"-c " + classname.encode(), found)
    if b"cannot import" not in found:
        assert b"name an SMTPServer subclass" in result.stderr


def test_a_value_error_of_the_library_surfaces_as_one_line() -> None:
    # the default class, PureProxy, refuses SMTPUTF8 in its constructor
    result = run_cli("-n", "-u", "127.0.0.1:%d" % free_port())
    assert_one_line_error(result, b"PureProxy does not support SMTPUTF8")


def test_security_flags_that_cannot_be_met(tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = "127.0.0.1:%d" % free_port()
    assert_one_line_error(run_cli("-n", "--require-starttls", port), b"add --tls-cert")
    assert_one_line_error(run_cli("-n", "--auth-required", port), b"add --auth-file")
    users = tmp_path / "users"
    users.write_text("alice:plaintext\n")
    result = run_cli("-n", "--auth-file", str(users), port)
    assert_one_line_error(result, b"%s:1: expected 'user:<bcrypt hash>'" % str(users).encode())
    missing = str(tmp_path / "none")
    result = run_cli("-n", "--auth-file", missing, port)
    assert_one_line_error(result, b"cannot read credentials file '%s'" % missing.encode())


def test_help_states_the_defaults_and_the_environment() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    text = result.stdout.decode()
    assert "(default PureProxy)" in text
    assert "(default localhost:8025)" in text and "(default localhost:25)" in text
    from smtpd_compat._server import SETTINGS_ENV

    variables = set(SETTINGS_ENV)
    assert len(variables) >= 8
    assert sorted(v for v in variables if v not in text) == []
