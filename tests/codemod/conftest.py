"""The codemod needs libcst, which supports Python 3.9 and later (the ``codemod`` extra
installs it only there). On 3.8 these tests are not collected; from 3.9 on a missing
libcst fails them at import, never skips them. (libcst's own import-time
DeprecationWarning, from ``mypy_extensions``, is ignored in the pytest settings.)"""

import os
import sys
from typing import List

import pytest

collect_ignore_glob = ["test_*.py"] if sys.version_info < (3, 9) else []

#: The held-out evaluation runs its programs under python3.11 and venvs of 3.12 and
#: 3.13 of its own, whatever interpreter runs pytest: tox runs it in one environment
#: and sets this in the others, which deselect it (counted as deselected, not skipped).
HELDOUT_RUNS_ELSEWHERE = os.environ.get("SMTPD_CODEMOD_HELDOUT") == "elsewhere"


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    if not HELDOUT_RUNS_ELSEWHERE:
        return
    elsewhere = [i for i in items if "test_heldout.py::test_heldout_program" in i.nodeid]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [i for i in items if i not in elsewhere]
