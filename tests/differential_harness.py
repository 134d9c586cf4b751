"""Run the same legacy server program on real smtpd and on smtpd_compat, and talk
to both with the same raw-socket dialogues.

The oracle side runs ``tests/differential_server.py`` with Python 3.11 and its
stdlib ``smtpd``; our side runs the same file with the interpreter running the
tests and ``import smtpd_compat as smtpd``. A dialogue is a list of :class:`Step`;
:func:`run_dialogue` plays it against one server and returns what came back.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, NoReturn, Optional, Sequence, Tuple

import pytest

import smtpd_compat

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_PROGRAM = os.path.join(HERE, "differential_server.py")
ORACLE_ENV = "SMTPD_COMPAT_ORACLE_PYTHON"
START_TIMEOUT = 30.0
REPLY_TIMEOUT = 10.0
EOF = b"<EOF>"
TIMEOUT = b"<TIMEOUT>"
CRLF = b"\r\n"


# -- finding Python 3.11 ----------------------------------------------------------


def _pyenv_roots() -> List[str]:
    roots = [os.environ.get("PYENV_ROOT", "")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            out = subprocess.run([pyenv, "root"], capture_output=True, timeout=10, check=False)
            roots.append(out.stdout.decode().strip())
        except (OSError, subprocess.SubprocessError):
            pass
    roots.append(os.path.expanduser("~/.pyenv"))
    return [r for r in roots if r]


def _has_real_smtpd(python: str) -> bool:
    code = "import sys, smtpd, asyncore; sys.exit(sys.version_info[:2] != (3, 11))"
    try:
        proc = subprocess.run(
            [python, "-W", "ignore", "-c", code], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


_oracle: List[Optional[str]] = []


def oracle_python() -> Optional[str]:
    """A Python 3.11 with the real smtpd (``$SMTPD_COMPAT_ORACLE_PYTHON`` first)."""
    if not _oracle:
        candidates = [os.environ.get(ORACLE_ENV, "")]
        for root in _pyenv_roots():
            pattern = os.path.join(root, "versions", "3.11*", "bin", "python3.11")
            candidates += sorted(glob.glob(pattern), reverse=True)
        candidates.append(shutil.which("python3.11") or "")
        found = next((c for c in candidates if c and _has_real_smtpd(c)), None)
        _oracle.append(found)
    return _oracle[0]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def oracle_missing(what: str) -> NoReturn:
    """Skip a test whose oracle or tool is missing here; in CI, fail it.

    ``what`` says what is missing and how to provide it."""
    if in_ci():
        pytest.fail(f"CI must have {what}", pytrace=False)
    pytest.skip(f"missing: {what}")


ORACLE_NEEDED = "Python 3.11 with its real smtpd (pyenv 3.11, or set SMTPD_COMPAT_ORACLE_PYTHON)"


def require_oracle_python() -> str:
    """The oracle interpreter; skip (fail in CI) when there is none."""
    python = oracle_python()
    if python is None:
        oracle_missing(ORACLE_NEEDED)
    return python


def oracle_test_dir() -> str:
    """python3.11's CPython ``test`` package directory; skip (fail in CI) without it."""
    python = require_oracle_python()
    code = "import os, test; print(os.path.dirname(test.__file__))"
    try:
        proc = subprocess.run([python, "-c", code], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        oracle_missing(f"the test package of {python} ({exc})")
    directory = proc.stdout.decode().strip()
    if proc.returncode != 0 or not directory:
        oracle_missing(f"the CPython test package of {python} (install python3.11's test suite)")
    return directory


# -- the two server processes -------------------------------------------------------


def child_env(engine: str) -> Dict[str, str]:
    """A clean environment: no smtpd_compat settings (STARTTLS from the environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTPD_COMPAT_", "PYTHON"))}
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if engine == "compat":
        package_dir = os.path.dirname(os.path.abspath(smtpd_compat.__file__))
        env["PYTHONPATH"] = os.path.dirname(package_dir)
    return env


class ServerProcess:
    """``differential_server.py VARIANT ENGINE`` in a subprocess, with its call log."""

    def __init__(self, python: str, variant: str, engine: str) -> None:
        self.variant, self.engine = variant, engine
        self._log = tempfile.NamedTemporaryFile("w+", suffix=".jsonl", delete=False)
        self._log.close()
        self._log_offset = 0
        self._stderr = tempfile.TemporaryFile()
        env = child_env(engine)
        env["DIFFERENTIAL_LOG"] = self._log.name
        self.proc = subprocess.Popen(
            [python, SERVER_PROGRAM, variant, engine],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        self.output: List[bytes] = []
        self.port = self._read_port()
        self._drain = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain.start()

    def _read_port(self) -> int:
        assert self.proc.stdout is not None
        fd, line, deadline = self.proc.stdout.fileno(), b"", time.monotonic() + START_TIMEOUT
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready = select.select([fd], [], [], max(remaining, 0))[0] if remaining > 0 else []
            chunk = os.read(fd, 1) if ready else b""
            if not chunk:
                self.stop()
                raise RuntimeError(
                    f"{self.engine} server {self.variant!r} did not start: {self.stderr()}"
                )
            line += chunk
        _, port, self.module_file = line.decode().split(None, 2)
        return int(port)

    def _drain_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, b""):
            self.output.append(line)

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-4000:]

    def new_calls(self) -> List[Dict[str, Any]]:
        """The ``process_message`` calls logged since the last look."""
        with open(self._log.name, encoding="utf-8") as log:
            log.seek(self._log_offset)
            text = log.read()
        complete = text[: text.rfind("\n") + 1]
        self._log_offset += len(complete.encode("utf-8"))
        return [json.loads(line) for line in complete.splitlines()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout is not None:
            if getattr(self, "_drain", None) is not None:
                self._drain.join(5)
            self.proc.stdout.close()
        self._stderr.close()
        try:
            os.unlink(self._log.name)
        except OSError:
            pass


# -- dialogues --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Step:
    """Send ``send`` on connection ``conn``, then read ``replies`` full replies.

    ``close``: then read until the server closes. ``shutdown``: half-close after
    sending. ``only``: play the step on one engine only (``"oracle"``/``"ours"``),
    where it must receive ``expect``: the deliberate differences. ``pause`` only
    makes it likely that the server reads the step apart from the previous one."""

    send: bytes
    replies: int = 1
    conn: int = 0
    close: bool = False
    shutdown: bool = False
    only: Optional[str] = None
    expect: Optional[bytes] = None
    timeout: float = REPLY_TIMEOUT
    pause: float = 0.0  # seconds to wait before sending: lets the server read apart


def cmd(line: str, replies: int = 1, **kwargs: Any) -> Step:
    return Step(line.encode("utf-8") + CRLF, replies, **kwargs)


def raw(data: bytes, replies: int = 1, **kwargs: Any) -> Step:
    return Step(data, replies, **kwargs)


def quit_(conn: int = 0) -> Step:
    return Step(b"QUIT\r\n", 1, conn=conn, close=True)


class Client:
    """A raw SMTP client that never blocks past its deadline."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.eof = False

    def send(self, data: bytes, shutdown: bool = False) -> None:
        try:
            if data:
                self.sock.sendall(data)
            if shutdown:
                self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.eof = True

    def _fill(self, deadline: float) -> bool:
        """Receive more; False on EOF or at the deadline."""
        remaining = deadline - time.monotonic()
        if self.eof or remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def _take_reply(self) -> Optional[bytes]:
        """One complete (possibly multi-line) reply from the buffer, or None."""
        start = 0
        while True:
            end = self.buffer.find(CRLF, start)
            if end < 0:
                return None
            line = self.buffer[start:end]
            start = end + 2
            if line[3:4] != b"-":
                reply, self.buffer = self.buffer[:start], self.buffer[start:]
                return reply

    def read(self, replies: int, close: bool, timeout: float) -> bytes:
        deadline, got = time.monotonic() + timeout, b""
        for _ in range(replies):
            reply = self._take_reply()
            while reply is None and self._fill(deadline):
                reply = self._take_reply()
            if reply is None:
                return got + self._leftover(deadline)
            got += reply
        if close:
            while self._fill(deadline):
                pass
            return got + self._leftover(deadline)
        return got

    def _leftover(self, deadline: float) -> bytes:
        rest, self.buffer = self.buffer, b""
        return rest + (EOF if self.eof else TIMEOUT)

    def close(self) -> None:
        self.sock.close()


Transcript = List[Tuple[int, bytes, bytes]]


def run_dialogue(port: int, steps: Sequence[Step], engine: str) -> Transcript:
    """Play ``steps`` (those for ``engine``) against ``port``: (conn, sent, received)."""
    clients: Dict[int, Client] = {}
    transcript: Transcript = []
    try:
        for step in steps:
            if step.only not in (None, engine):
                continue
            client = clients.get(step.conn)
            if client is None:
                client = clients[step.conn] = Client(port)
                transcript.append((step.conn, b"<connect>", client.read(1, False, REPLY_TIMEOUT)))
            if step.pause:
                time.sleep(step.pause)
            client.send(step.send, step.shutdown)
            received = client.read(step.replies, step.close, step.timeout)
            transcript.append((step.conn, step.send, received))
    finally:
        for client in clients.values():
            client.close()
    return transcript


def format_transcript(transcript: Transcript) -> str:
    return "\n".join(f"  [{c}] {sent!r}\n   -> {got!r}" for c, sent, got in transcript)


def compare(steps: Sequence[Step], oracle: Transcript, ours: Transcript) -> List[str]:
    """Mismatches: shared steps must match byte for byte, ``only`` steps their ``expect``."""
    problems: List[str] = []
    shared_oracle = iter_shared(steps, oracle, "oracle", problems)
    shared_ours = iter_shared(steps, ours, "ours", problems)
    for (conn, sent, want), (_, _, got) in zip(shared_oracle, shared_ours):
        if want != got:
            problems.append(
                f"[{conn}] after {sent!r}:\n  real smtpd:   {want!r}\n  smtpd_compat: {got!r}"
            )
    if len(shared_oracle) != len(shared_ours):
        problems.append("the dialogues have different lengths")
    return problems


def iter_shared(
    steps: Sequence[Step], transcript: Transcript, engine: str, problems: List[str]
) -> Transcript:
    """The entries of ``transcript`` for shared steps; check the ``only`` ones."""
    mine = [s for s in steps if s.only in (None, engine)]
    seen, shared, index = set(), [], 0
    for step in mine:
        if step.conn not in seen:  # the banner: shared when the first step is
            seen.add(step.conn)
            if index < len(transcript) and step.only is None:
                shared.append(transcript[index])
            index += 1
        if index >= len(transcript):
            break
        entry = transcript[index]
        index += 1
        if step.only is None:
            shared.append(entry)
        elif entry[2] != step.expect:
            problems.append(
                f"{engine}-only step {step.send!r}: expected {step.expect!r}, got {entry[2]!r}"
            )
    return shared


def start_pair(variant: str) -> Tuple[ServerProcess, ServerProcess]:
    """The variant on real smtpd (Python 3.11) and on smtpd_compat (this Python)."""
    python = oracle_python()
    if python is None:
        raise RuntimeError("no Python 3.11 with the real smtpd")
    oracle = ServerProcess(python, variant, "real")
    try:
        ours = ServerProcess(sys.executable, variant, "compat")
    except BaseException:
        oracle.stop()
        raise
    expected = os.path.dirname(os.path.abspath(smtpd_compat.__file__))
    if (
        os.path.dirname(ours.module_file.strip()) != expected
        or "smtpd_compat" in oracle.module_file
    ):
        oracle.stop()
        ours.stop()
        raise RuntimeError(f"wrong engines: {oracle.module_file!r}, {ours.module_file!r}")
    return oracle, ours
