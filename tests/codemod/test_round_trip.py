"""Round trip: legacy programs under Python 3.11's smtpd, converted ones under aiosmtpd.

Each program in ``programs/`` runs as a real subprocess: first unchanged with
pyenv's python3.11 and the stdlib smtpd, then rewritten by the codemod with
python3.12 and python3.13 in a venv that holds aiosmtpd and nothing of ours.
The same SMTP dialogues (real smtplib clients, timeouts on every call) must get
the same replies, and process_message must receive the same arguments (each
program appends them as JSON lines to ``$SMTPD_CODEMOD_RECORD``).
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import smtplib
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

pytest.importorskip("libcst")

from smtpd_compat.codemod import main  # noqa: E402

PROGRAMS = Path(__file__).parent / "programs"
CONVERTED = [
    "tutorial_sink",
    "decoding_sink",
    "policy_relay",
    "py2_init",
    "super_init",
    "star_args",
    "thread_fixture",
    "debugging_server",
]
PARTLY_CONVERTED = ["banner_debugstream"]
NOT_CONVERTED = ["auth_channel", "thread_subclass"]
PRINTS_ONLY = {"debugging_server"}
STOPPED_BY_STDIN = {"thread_fixture"}
TIMEOUT = 15
BODY = "Subject: round trip\r\nX-Test: 1\r\n\r\nline one\r\n..dot line\r\n\r\nlast line"
# One dialogue per connection; "DATA" sends BODY. Replies are compared one by one.
DIALOGUES: Dict[str, List[str]] = {
    "ehlo": [
        "EHLO client.example",
        "MAIL FROM:<alice@example.com>",
        "RCPT TO:<bob@example.com>",
        "RCPT TO:<carol@example.com>",
        "DATA",
        "QUIT",
    ],
    "helo": [
        "HELO client.example",
        "NOOP",
        "MAIL FROM:<alice@example.com> SIZE=10",
        "MAIL FROM:<alice@example.com>",
        "RCPT TO:<nobody@example.com>",
        "DATA",
        "RSET",
        "XYZZY",
        "QUIT",
    ],
    "options": [
        "EHLO client.example",
        "MAIL FROM:<alice@example.com> BODY=8BITMIME SIZE=99",
        "RCPT TO:<bob@example.com>",
        "DATA",
        "MAIL FROM:<again@example.com>",
        "RCPT TO:<bob@example.com>",
        "DATA",
        "QUIT",
    ],
}


def interpreter(version: str) -> Path:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(root.glob(f"{version}.*/bin/python{version}"))
    if not found:
        pytest.skip(f"python{version} is not installed under {root}")
    return found[-1]


@pytest.fixture(scope="session")
def legacy_python() -> Path:
    return interpreter("3.11")


def make_venv(base: Path, version: str) -> Path:
    """A venv with aiosmtpd only, created once per session."""
    python = interpreter(version)
    target = base / f"aiosmtpd-{version}"
    try:
        subprocess.run(
            [str(python), "-m", "venv", str(target)], check=True, capture_output=True, timeout=120
        )
        subprocess.run(
            [str(target / "bin" / "python"), "-m", "pip", "install", "-q", "aiosmtpd>=1.4.6"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (subprocess.SubprocessError, OSError) as error:
        pytest.skip(f"cannot create a python{version} venv with aiosmtpd: {error}")
    return target / "bin" / "python"


@pytest.fixture(scope="session", params=["3.12", "3.13"])
def native_python(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    return make_venv(tmp_path_factory.mktemp("venvs"), request.param)


class Program:
    """A running program: its port, then its stdout and records once stopped."""

    def __init__(self, python: Path, path: Path) -> None:
        self.record = path.with_suffix(".jsonl")
        env = {**os.environ, "SMTPD_CODEMOD_RECORD": str(self.record), "PYTHONPATH": ""}
        self.proc = subprocess.Popen(
            [str(python), "-u", "-W", "ignore::DeprecationWarning", path.name],
            cwd=path.parent,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.port = int(self.readline())

    def readline(self) -> str:
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            if not selector.select(TIMEOUT):
                self.proc.kill()
                pytest.fail(f"no output within {TIMEOUT}s: {self.proc.communicate()}")
        line = self.proc.stdout.readline()
        if not line:
            pytest.fail(f"program exited: {self.proc.communicate()}")
        return line

    def stop(self, by_stdin: bool) -> Tuple[str, List[dict]]:
        """Stop by closing stdin (the thread fixture) or by Ctrl+C; stdout and records."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.stdin = None
        if not by_stdin:
            self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=TIMEOUT)
        records = self.record.read_text().splitlines() if self.record.exists() else []
        return out, [json.loads(r) for r in records]


def talk(port: int, commands: List[str]) -> List[Tuple[int, str]]:
    with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as client:
        replies: List[Tuple[int, str]] = []
        for command in commands:
            if command == "DATA":
                code, text = client.docmd("DATA")
                replies.append((code, text.decode()))
                if code == 354:
                    client.send((BODY + "\r\n.\r\n").encode())
                    code, text = client.getreply()
                    replies.append((code, text.decode()))
                continue
            code, text = client.docmd(command)
            replies.append((code, text.decode()))
            if command == "QUIT":
                client.close()
                break
    return replies


def run(python: Path, program: Path) -> dict:
    running = Program(python, program)
    replies = {name: talk(running.port, commands) for name, commands in DIALOGUES.items()}
    out, records = running.stop(by_stdin=program.stem in STOPPED_BY_STDIN)
    return {"replies": replies, "stdout": out, "records": records}


def copy_program(name: str, where: Path) -> Path:
    where.mkdir()
    shutil.copy(PROGRAMS / "_record.py", where)
    return Path(shutil.copy(PROGRAMS / f"{name}.py", where))


@pytest.mark.parametrize("name", CONVERTED)
def test_converted_program_behaves_the_same(name, legacy_python, native_python, tmp_path, capsys):
    legacy = run(legacy_python, copy_program(name, tmp_path / "legacy"))
    converted_path = copy_program(name, tmp_path / "converted")
    assert main([str(converted_path)]) == 1
    capsys.readouterr()
    converted_source = converted_path.read_text()
    assert "import smtpd" not in converted_source and "asyncore" not in converted_source
    native = run(native_python, converted_path)
    assert native["replies"] == legacy["replies"]
    assert native["records"] == legacy["records"]
    assert len(native["records"]) >= 3 or name in PRINTS_ONLY
    assert native["stdout"] == legacy["stdout"]


@pytest.mark.parametrize("name", NOT_CONVERTED)
def test_unconvertible_program_is_left_as_is_and_reported(name, tmp_path, capsys):
    path = copy_program(name, tmp_path / "legacy")
    before = path.read_text()
    assert main([str(path)]) == 0
    assert path.read_text() == before
    assert "1 need manual work" in capsys.readouterr().err


@pytest.mark.parametrize("name", PARTLY_CONVERTED)
def test_partly_converted_program_reports_what_is_left(name, tmp_path, capsys):
    path = copy_program(name, tmp_path / "legacy")
    assert main([str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:8: smtpd.DEBUGSTREAM is still used here" in err
    assert "1 file rewritten, 0 unchanged, 1 need manual work" in err
    assert "class Sink:" in path.read_text()
