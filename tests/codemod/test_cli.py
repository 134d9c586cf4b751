"""The command line: in place, --diff, --check, stdin, rule selection, summary, exit codes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

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
    assert (
        "1 file rewritten, 2 unchanged, 1 need manual work, "
        "1 with notes on changed behaviour, 0 failed to parse"
    ) in err
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
    assert (
        "1 file rewritten, 2 unchanged, 1 need manual work, "
        "1 with notes on changed behaviour, 1 failed to parse"
    ) in err


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
        "verbs",
        "banner",
        "debugstream",
        "constants",
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


def test_a_file_python_refuses_is_reported_and_the_run_goes_on(tree, capsys):
    deep = tree / "pkg" / "deep.py"
    deep.write_text("import smtpd\nx = " + "[" * 3000 + "]" * 3000 + "\n")  # crashed libcst
    assert main([str(tree)]) == 1
    err = capsys.readouterr().err
    assert f"{deep}:2: file left as is: too many nested parentheses" in err
    assert "1 file rewritten" in err and "1 failed to parse" in err


def test_an_error_inside_a_rule_is_reported_and_the_run_goes_on(tree, capsys, monkeypatch):
    from smtpd_compat.codemod import _cli

    def explode(source, rules):
        if "DEBUGSTREAM" in source:
            raise RecursionError("maximum recursion depth exceeded")
        return real(source, rules)

    real = _cli.fix_source
    monkeypatch.setattr(_cli, "fix_source", explode)
    assert main([str(tree)]) == 1
    err = capsys.readouterr().err
    manual = tree / "pkg" / "manual.py"
    assert f"{manual}:1: internal error, file left as is: RecursionError" in err
    assert "1 file rewritten, 1 unchanged, 0 need manual work" in err
    assert err.rstrip().endswith("1 failed to parse")


def test_syntax_error_at_the_end_is_reported_at_its_line(tmp_path, capsys):
    path = tmp_path / "open.py"
    path.write_text("import smtpd\n\n\nx = (\n")
    assert main([str(path)]) == 1
    assert f"{path}:4: syntax error" in capsys.readouterr().err


def test_check_exits_zero_for_files_that_only_need_manual_work(tree, capsys):
    """--check: 1 only when a file would change or cannot be parsed (see --help)."""
    assert main(["--check", str(tree / "pkg" / "manual.py")]) == 0
    assert "1 need manual work" in capsys.readouterr().err
    assert main(["--check", str(tree / "pkg" / "server.py")]) == 1
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "files that only need manual work" in " ".join(capsys.readouterr().out.split())


def test_a_rule_emitting_bad_code_is_an_internal_error_not_the_files(tree, capsys, monkeypatch):
    from smtpd_compat.codemod.rules import handler

    monkeypatch.setattr(handler, "HANDLE_DATA", "async def handle_DATA(self:\n")
    assert main([str(tree / "pkg" / "server.py")]) == 1
    err = capsys.readouterr().err
    assert "server.py:1: internal error, file left as is: GeneratedCodeError" in err
    assert "syntax error" not in err
