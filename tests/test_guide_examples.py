"""The shim's examples in migration_guide.md run as written, each in its own process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

GUIDE = Path(__file__).parents[1] / "migration_guide.md"
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def shim_examples() -> List[str]:
    text = GUIDE.read_text()
    start, end = text.index("## The shim (smtpd_compat)"), text.index("## Running the codemod")
    return BLOCK.findall(text[start:end])


def test_the_shim_sections_have_examples() -> None:
    assert len(shim_examples()) >= 3


@pytest.mark.parametrize("source", shim_examples())
def test_example_runs(source: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
