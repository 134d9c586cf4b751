"""Without libcst (or on Python 3.8) the codemod exits 2 with a clear message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).parents[2] / "src")
MESSAGE = "smtpd-compat-codemod needs Python >= 3.9 and libcst: pip install 'smtpd-compat[codemod]'"
BLOCK_LIBCST = (
    "import sys; sys.modules['libcst'] = None\n"
    "from smtpd_compat.codemod import main\n"
    "sys.exit(main(['x.py']))\n"
)


def test_missing_libcst_gives_a_clear_message_and_exit_2():
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_LIBCST],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": SRC},
    )
    assert result.returncode == 2
    assert result.stderr.strip() == MESSAGE
