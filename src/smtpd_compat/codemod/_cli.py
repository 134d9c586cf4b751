"""The command line: files and directories in, rewritten files and a summary out.

Options follow pyupgrade, django-upgrade, ruff and black: in place by default,
``--diff`` and ``--check`` write nothing, exit 1 when something changed (or
would), ``-`` filters stdin to stdout.
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import sys
import tokenize
from dataclasses import dataclass, field
from importlib.metadata import version as dist_version
from typing import Iterator, List, Optional, Sequence, Tuple

import libcst as cst

from smtpd_compat.codemod._engine import (
    Outcome,
    TooDeeplyNested,
    fix_source,
    mentions_legacy,
)
from smtpd_compat.codemod._rule import Rule
from smtpd_compat.codemod.rules import RULES

PROG = "smtpd-compat-codemod"
STDIN = "-"


@dataclass
class Tally:
    """Counts for the summary line."""

    rewritten: List[str] = field(default_factory=list)
    unchanged: int = 0
    manual: List[str] = field(default_factory=list)
    noted: List[str] = field(default_factory=list)
    failed: List[str] = field(default_factory=list)

    def summary(self, dry_run: bool) -> str:
        verb = "would be rewritten" if dry_run else "rewritten"
        return (
            f"{len(self.rewritten)} {plural(len(self.rewritten))} {verb}, "
            f"{self.unchanged} unchanged, {len(self.manual)} need manual work, "
            f"{len(self.noted)} with notes on changed behaviour, "
            f"{len(self.failed)} failed to parse"
        )


def plural(count: int) -> str:
    return "file" if count == 1 else "files"


def version() -> str:
    try:
        return dist_version("smtpd-compat")
    except Exception:  # pragma: no cover - running from a source tree
        return "unknown"


def parser() -> argparse.ArgumentParser:
    names = ", ".join(rule.name for rule in RULES)
    p = argparse.ArgumentParser(
        prog=PROG, description=("Rewrite legacy smtpd/asyncore servers into native aiosmtpd code.")
    )
    p.add_argument("paths", nargs="*", help="files and directories (.py, recursively); - for stdin")
    p.add_argument("--diff", action="store_true", help="print a unified diff, write nothing")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a file would change or failed to parse, else 0 "
        "(files that only need manual work are left as they are: they exit 0)",
    )
    p.add_argument(
        "--exit-zero-even-if-changed",
        action="store_true",
        help="exit 0 even when files were rewritten",
    )
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="RULE",
        help=f"run only these rules (repeat or comma-separate): {names}",
    )
    p.add_argument("--skip", action="append", default=[], metavar="RULE", help="skip these rules")
    p.add_argument("--list-rules", action="store_true", help="list the rules and exit")
    p.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    return p


def split_names(values: Sequence[str]) -> List[str]:
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def select_rules(p: argparse.ArgumentParser, args: argparse.Namespace) -> List[Rule]:
    known = {rule.name for rule in RULES}
    only, skip = split_names(args.only), split_names(args.skip)
    unknown = sorted(set(only + skip) - known)
    if unknown:
        p.error(f"unknown rule(s): {', '.join(unknown)}; see --list-rules")
    return [r for r in RULES if (not only or r.name in only) and r.name not in skip]


def iter_files(paths: Sequence[str]) -> Iterator[str]:
    for path in paths:
        if path == STDIN or not os.path.isdir(path):
            yield path
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
            yield from (os.path.join(root, f) for f in sorted(files) if f.endswith(".py"))


def read_source(path: str) -> Tuple[str, str]:
    """(text, encoding); line endings are kept as they are."""
    if path == STDIN:
        data = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as f:
            data = f.read()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding), encoding


def run(argv: Optional[Sequence[str]] = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.list_rules:
        for rule in RULES:
            print(f"{rule.name:<10} {rule.summary}  [{rule.section}]")
        return 0
    if not args.paths:
        p.error("no paths given")
    rules = select_rules(p, args)
    tally = Tally()
    try:
        for path in iter_files(args.paths):
            fix_file(path, rules, args, tally)
    finally:  # even when interrupted, say what was done
        print(tally.summary(args.check or args.diff), file=sys.stderr)
    dry_run = args.check or args.diff
    changed = bool(tally.rewritten) and (dry_run or not args.exit_zero_even_if_changed)
    return 1 if changed or tally.failed else 0


def fix_file(path: str, rules: List[Rule], args: argparse.Namespace, tally: Tally) -> None:
    try:
        source, encoding = read_source(path)
    except (OSError, UnicodeDecodeError, SyntaxError) as error:
        print(f"{path}: cannot read: {error}", file=sys.stderr)
        tally.failed.append(path)
        return
    if not mentions_legacy(source):
        tally.unchanged += 1
        return emit_stdin(path, source, source, args)
    try:
        outcome = fix_source(source, rules)
    except cst.ParserSyntaxError as error:
        print(
            f"{path}:{error.editor_line}: syntax error, file left as is: {error.message}",
            file=sys.stderr,
        )
        tally.failed.append(path)
        return emit_stdin(path, source, source, args)
    except TooDeeplyNested as error:
        print(f"{path}:{error.line}: file left as is: {error}", file=sys.stderr)
        tally.failed.append(path)
        return emit_stdin(path, source, source, args)
    except (Exception, RecursionError) as error:  # one file never stops the run
        print(
            f"{path}:1: internal error, file left as is: {type(error).__name__}: {error}",
            file=sys.stderr,
        )
        tally.failed.append(path)
        return emit_stdin(path, source, source, args)
    record(path, source, encoding, outcome, args, tally)


def record(
    path: str, source: str, encoding: str, outcome: Outcome, args: argparse.Namespace, tally: Tally
) -> None:
    for report in outcome.reports:
        print(report.format(path), file=sys.stderr)
    if any(not r.note for r in outcome.reports):
        tally.manual.append(path)
    elif outcome.reports:
        tally.noted.append(path)
    if outcome.source == source:
        tally.unchanged += 1
    else:
        tally.rewritten.append(path)
        if path != STDIN and not (args.diff or args.check):
            with open(path, "w", encoding=encoding, newline="") as f:
                f.write(outcome.source)
    if args.diff and outcome.source != source:
        sys.stdout.write(unified_diff(path, source, outcome.source))
    emit_stdin(path, source, outcome.source, args)


def emit_stdin(path: str, before: str, after: str, args: argparse.Namespace) -> None:
    """``-`` writes the (rewritten) source to stdout unless a diff or check was asked for."""
    if path == STDIN and not (args.diff or args.check):
        sys.stdout.write(after)


def unified_diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=path,
        tofile=path,
    )
    return "".join(lines)
