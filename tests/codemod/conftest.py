"""The codemod needs libcst, which supports Python 3.9 and later (the ``codemod`` extra
installs it only there). On 3.8 these tests are not collected; from 3.9 on a missing
libcst fails them at import, never skips them. (libcst's own import-time
DeprecationWarning, from ``mypy_extensions``, is ignored in the pytest settings.)"""

import os
import sys
from typing import List

import pytest

collect_ignore_glob = ["test_*.py"] if sys.version_info < (3, 9) else []
# The legacy programs the tests run are never test modules, whatever their names
# (heldout10/test_verb_pureproxy_channel.py).
collect_ignore_glob += ["heldout*/*.py", "programs/*.py"]

#: The round trip and the held-out evaluation run their programs under python3.11 and
#: venvs of 3.12 and 3.13 of their own, whatever interpreter runs pytest: tox runs them in
#: one environment and sets this in the others, which deselect every test that runs
#: programs (counted as deselected, not skipped). Those environments still convert every
#: round-trip program on their own Python (test_program_converts_on_this_python).
PROGRAMS_RUN_ELSEWHERE = os.environ.get("SMTPD_CODEMOD_PROGRAMS") == "elsewhere"
#: The fixtures of the interpreters that run programs, and of the lint of every converted
#: program (test_converted_lint: one environment converts them all once).
RUNS_PROGRAMS = {"legacy_python", "native_python", "every_program_converted"}


@pytest.fixture
def every_program_converted() -> None:
    """Marks a test that converts every held-out and round-trip program."""


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    if not PROGRAMS_RUN_ELSEWHERE:
        return
    elsewhere = [i for i in items if RUNS_PROGRAMS & set(getattr(i, "fixturenames", ()))]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [i for i in items if i not in elsewhere]
