"""CPython's own smtpd-driving suites, run against smtpd_compat.

``test_smtplib`` (DebuggingServerTests, SMTPSimTests, SMTPUTF8SimTests,
SMTPAUTHInitialResponseSimTests), ``test_logging``'s SMTPHandlerTest and the whole
``test_smtpd`` (153 tests; on 3.12+, where it left the stdlib, 3.11's file, loaded
by path from python3.11's test package), each in a subprocess of the current
interpreter (``tests/cpython_suite_runner.py`` swaps smtpd_compat in for the
suite's smtpd). Every tox env thus checks its own Python's suites. A missing test
package or oracle skips here and fails in CI.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from typing import Any, Dict, Optional

import pytest

from differential_harness import oracle_missing, oracle_test_dir

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cpython_suite_runner.py")
SUITE_TIMEOUT = 90
# 3.8-3.10's test.support waits up to ~2 s after each test for the engine's stopped
# threads to be freed (threading_cleanup), so their smtplib suite takes minutes.
OLD_SUPPORT_TIMEOUT = 400

# Suite test files; test_smtpd left the stdlib in 3.12, from there 3.11's file runs.
SUITE_FILES = {"smtplib": "test_smtplib.py", "logging": "test_logging.py", "smtpd": "test_smtpd.py"}
BORROWED_FROM_311 = {"smtpd": (3, 12)}  # suite -> first Python that runs 3.11's file

# How many tests each suite must run, per Python (other versions: at least one).
EXPECTED_RUN = {
    **{("smtplib", (3, minor)): 52 for minor in range(8, 13)},
    ("smtplib", (3, 13)): 53,
    **{("logging", (3, minor)): 1 for minor in range(8, 14)},
    **{("smtpd", (3, minor)): 153 for minor in range(8, 14)},
}

# test_smtpd builds SMTPServer while smtpd.socket is test.mock_socket and takes its
# connection with ``server.accept()``. SMTPServer still listens on a real socket and
# accepts on the engine's loop, so that accept() returns None: (suite test id prefix,
# what the failure says). The SMTPServer change under way (listening socket from
# ``smtpd_compat.socket``, accept on the program's loop) removes these failures; then
# this entry must go (the test below says so).
# Suite tests that cannot pass because smtpd_compat deliberately behaves otherwise
# (test id -> why). None today: the suites do not exercise the deliberate changes
# (451 after an exception in process_message, command state after 552, the
# 4-argument process_message), see tests/test_differential.py for those.
EXPECTED_DIFFERENCES: Dict[str, str] = {}

def cpython_test_dir() -> str:
    """Directory of the running interpreter's CPython ``test`` package."""
    try:
        import test
    except ImportError:
        oracle_missing(f"the CPython test package of {sys.executable}")
    directory = os.path.dirname(test.__file__ or "")
    return directory


def suite_file(suite: str) -> Optional[str]:
    """The file to load the suite from; None for this interpreter's own test package."""
    first = BORROWED_FROM_311.get(suite)
    if first is not None and sys.version_info >= first:
        path = os.path.join(oracle_test_dir(), SUITE_FILES[suite])
        if not os.path.exists(path):
            oracle_missing(f"{path} (python3.11's test package)")
        return path
    path = os.path.join(cpython_test_dir(), SUITE_FILES[suite])
    if not os.path.exists(path):
        oracle_missing(f"{path} (this interpreter's test package)")
    return None


_reports: Dict[str, Dict[str, Any]] = {}


def run_suite(suite: str) -> Dict[str, Any]:
    """The runner's report for ``suite`` (run once per pytest session)."""
    if suite not in _reports:
        path = suite_file(suite)
        env = dict(os.environ)
        env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
        proc = subprocess.run(
            [sys.executable, RUNNER, suite] + ([path] if path else []),
            capture_output=True,
            timeout=SUITE_TIMEOUT if sys.version_info >= (3, 11) else OLD_SUPPORT_TIMEOUT,
            env=env,
        )
        out = proc.stdout.decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace")
        lines = out.strip().splitlines()
        assert proc.returncode == 0 and lines, f"runner failed ({proc.returncode}):\n{out}\n{err}"
        report = json.loads(lines[-1])
        report["log"] = err
        _reports[suite] = report
    return _reports[suite]


def counts(report: Dict[str, Any]) -> str:
    return (
        "Python {python} test_{suite}: "
        "run={run} failures={failures} errors={errors} skipped={skipped}".format(**report)
    )


def show(request: pytest.FixtureRequest, line: str) -> None:
    """Write ``line`` to the terminal even under output capture (for the tox log)."""
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if reporter is None:
        print(line)
        return
    capture = request.config.pluginmanager.getplugin("capturemanager")
    disabled = capture.global_and_fixture_disabled() if capture else contextlib.nullcontext()
    with disabled:
        reporter.ensure_newline()
        reporter.write_line(line)


@pytest.mark.timeout(OLD_SUPPORT_TIMEOUT + 60)
@pytest.mark.parametrize("suite", ["smtplib", "logging", "smtpd"])
def test_cpython_suite_passes(suite: str, request: pytest.FixtureRequest) -> None:
    report = run_suite(suite)
    show(request, counts(report))
    allowed = set(EXPECTED_DIFFERENCES)
    unexpected = {k: v for k, v in report["problems"].items() if k not in allowed}
    assert not unexpected, "\n\n".join(f"{k}\n{v}" for k, v in unexpected.items())
    # A listed difference must still make its suite test fail, or leave the table.
    prefix = f"test.test_{suite}."
    stale = [t for t in EXPECTED_DIFFERENCES if t.startswith(prefix)]
    stale = [t for t in stale if t not in report["problems"]]
    assert not stale, "these suite tests pass now: drop them from EXPECTED_DIFFERENCES"
    listed_failures = len(report["problems"])
    assert report["failures"] + report["errors"] == listed_failures
    expected = EXPECTED_RUN.get((suite, sys.version_info[:2]))
    if expected is None:
        assert report["run"] > 0
    else:
        assert report["run"] == expected, counts(report)
    # Only IPv6 availability may skip a test (test_smtpd's family detection).
    assert all("IPv6" in reason for reason in report["skips"].values()), report["skips"]
