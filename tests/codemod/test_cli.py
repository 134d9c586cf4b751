"""The command line: in place, --diff, --check, stdin, rule selection, summary, exit codes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("libcst")

from smtpd_compat.codemod import main  # noqa: E402

LEGACY = """\
import asyncore
import smtpd


class Sink(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        pass


server = Sink(("localhost", 1025), None)
asyncore.loop()
"""
MANUAL = "import smtpd\n\nsmtpd.DEBUGSTREAM = None\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "server.py").write_text(LEGACY)
    (tmp_path / "pkg" / "plain.py").write_text("print('hello')\n")
    (tmp_path / "pkg" / "manual.py").write_text(MANUAL)
    (tmp_path / "pkg" / "notes.txt").write_text(LEGACY)
    return tmp_path


def test_rewrites_in_place_and_summarises(tree, capsys):
    assert main([str(tree)]) == 1
    err = capsys.readouterr().err
    assert "1 file rewritten, 2 unchanged, 1 need manual work, 1 with notes on changed behaviour, 0 failed to parse" in err
    assert f"{tree / 'pkg' / 'manual.py'}:3: smtpd.DEBUGSTREAM is still used here" in err
    assert "class Sink:\n" in (tree / "pkg" / "server.py").read_text()
    assert (tree / "pkg" / "notes.txt").read_text() == LEGACY  # only .py files
    assert main([str(tree)]) == 0  # idempotent: nothing left to change


def test_exit_zero_even_if_changed(tree):
    assert main(["--exit-zero-even-if-changed", str(tree)]) == 0


@pytest.mark.parametrize("option", ["--diff", "--check"])
def test_dry_runs_write_nothing(tree, capsys, option):
    assert main([option, str(tree / "pkg" / "server.py")]) == 1
    out, err = capsys.readouterr()
    assert (tree / "pkg" / "server.py").read_text() == LEGACY
    assert ("+class Sink:\n" in out) == (option == "--diff")
    assert "1 file would be rewritten" in err


def test_syntax_error_does_not_stop_the_others(tree, capsys):
    (tree / "pkg" / "broken.py").write_text("import smtpd\n\ndef f(:\n")
    assert main([str(tree)]) == 1
    err = capsys.readouterr().err
    assert f"{tree / 'pkg' / 'broken.py'}:3: syntax error, file left as is" in err
    assert "1 file rewritten, 2 unchanged, 1 need manual work, 1 with notes on changed behaviour, 1 failed to parse" in err


def test_stdin_to_stdout(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "smtpd_compat.codemod", "-"],
        input=LEGACY,
        text=True,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "class Sink:\n" in result.stdout and "server_controller.start()" in result.stdout


def test_only_skip_and_list_rules(tree, capsys):
    assert main(["--list-rules"]) == 0
    listed = capsys.readouterr().out
    assert [line.split()[0] for line in listed.splitlines()] == [
        "handler",
        "init",
        "startup",
        "thread",
        "debugging",
        "policy",
        "auth",
        "banner",
        "debugstream",
        "channel",
        "imports",
    ]
    assert main(["--only", "handler,imports", str(tree)]) == 0  # startup is needed too
    assert main(["--skip", "channel", "--check", str(tree)]) == 1
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "nonsense", str(tree)])
    assert exit_info.value.code == 2


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("smtpd-compat-codemod ")


def test_files_without_smtpd_are_not_parsed(tmp_path, capsys):
    for index in range(300):
        (tmp_path / f"m{index}.py").write_text("def f(:\n" * 50)  # unparsable if parsed
    started = time.perf_counter()
    assert main([str(tmp_path)]) == 0
    assert time.perf_counter() - started < 5
    assert "0 files rewritten, 300 unchanged" in capsys.readouterr().err


def test_pre_commit_hook_declares_the_console_script():
    hooks = (Path(__file__).parents[2] / ".pre-commit-hooks.yaml").read_text()
    assert "entry: smtpd-compat-codemod" in hooks and "types: [python]" in hooks
