"""The codemod's cost on code that has nothing to convert, and its idempotence.

    python3 bench/codemod_scan.py            # 1,000 files, target: under 2 s
    python3 bench/codemod_scan.py --files 5000

Most of a repository a user points the codemod at has no smtpd in it. This copies
that many real modules of this interpreter's standard library (smtpd, asyncore and
asynchat left out) into a scratch tree, runs ``smtpd-compat-codemod --check`` over it
in a fresh process, and reports the wall time (best of three; the tree is in the page
cache after the first). Then it converts this repository's round-trip programs and
runs the codemod again over the result: the second run must change nothing.

Needs the codemod installed (``pip install -e '.[codemod]'``) in the interpreter that
runs this script.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import List

REPO = Path(__file__).resolve().parent.parent
PROGRAMS = REPO / "tests" / "codemod" / "programs"
LEGACY_MODULES = {"smtpd.py", "asyncore.py", "asynchat.py"}
TARGET_SECONDS = 2.0


def stdlib_modules(count: int) -> List[Path]:
    """``count`` standard-library modules with no legacy import, largest trees first."""
    root = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name in LEGACY_MODULES or "site-packages" in path.parts:
            continue
        text = path.read_text(errors="replace")
        if "smtpd" in text or "asyncore" in text or "asynchat" in text:
            continue
        found.append(path)
        if len(found) == count:
            return found
    raise SystemExit(f"only {len(found)} modules without smtpd in {root}; ask for fewer")


def codemod(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "smtpd_compat.codemod", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def scan_seconds(tree: Path) -> float:
    """Wall time of one ``--check`` run over ``tree``, which must find nothing to do."""
    started = time.perf_counter()
    done = codemod("--check", str(tree))
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"--check found work in code without smtpd:\n{done.stderr[-2000:]}")
    return seconds


def idempotent(scratch: Path) -> bool:
    """Convert the round-trip programs, then check a second run changes nothing."""
    tree = scratch / "programs"
    shutil.copytree(PROGRAMS, tree)
    codemod(str(tree))
    again = codemod("--check", str(tree))
    if again.returncode != 0:
        print(again.stderr[-2000:], file=sys.stderr)
    return again.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        tree = scratch / "no_smtpd"
        tree.mkdir()
        for index, module in enumerate(stdlib_modules(args.files)):
            shutil.copy(module, tree / f"{index:05d}_{module.name}")
        best = min(scan_seconds(tree) for _ in range(3))
        same = idempotent(scratch)
    met = best < TARGET_SECONDS * args.files / 1000
    print(
        f"{args.files} files without smtpd: {best:.2f} s (best of 3; target < "
        f"{TARGET_SECONDS * args.files / 1000:.1f} s): {'met' if met else 'NOT met'}"
    )
    print(f"second run over converted programs changes nothing: {'yes' if same else 'NO'}")
    return 0 if met and same else 1


if __name__ == "__main__":
    sys.exit(main())
