"""Without libcst (or on Python 3.8) the codemod exits 2 with a clear message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).parents[2] / "src")
NEEDS_LIBCST = "smtpd-compat-codemod needs libcst: pip install 'smtpd-compat[codemod]'"
NEEDS_PYTHON_39 = (
    "smtpd-compat-codemod needs Python 3.9 or later (this is Python 3.8): "
    "run it with a newer interpreter"
)
RUN = "from smtpd_compat.codemod import main\nsys.exit(main(['x.py']))\n"
BLOCK_LIBCST = "import sys; sys.modules['libcst'] = None\n" + RUN
AS_IF_ON_38 = "import sys; sys.version_info = (3, 8, 18, 'final', 0)\n" + RUN


def run(source: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": SRC},
    )


def test_missing_libcst_gives_a_clear_message_and_exit_2():
    result = run(BLOCK_LIBCST)
    assert result.returncode == 2
    expected = NEEDS_PYTHON_39 if sys.version_info < (3, 9) else NEEDS_LIBCST
    assert result.stderr.strip() == expected


def test_on_python_38_the_message_names_the_interpreter_not_the_extra():
    result = run(AS_IF_ON_38)
    assert result.returncode == 2
    assert result.stderr.strip() == NEEDS_PYTHON_39
    assert "pip install" not in result.stderr
