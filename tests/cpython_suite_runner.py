"""Run one of CPython's own smtpd-driving test suites against smtpd_compat.

Usage: ``python cpython_suite_runner.py SUITE`` with SUITE one of :data:`SUITES`.
Run it with the interpreter whose ``test`` package holds the suite. It makes the
suite's ``smtpd`` *be* smtpd_compat (under every name the suite imports it by) and,
on 3.12+, makes ``asyncore``/``asynchat`` be the suite's ``test.support`` copies
before smtpd_compat is imported, so that the package and the suite drive one and the
same asyncore module. It then runs the selected unittest classes and prints, as its
last stdout line, a JSON object: run, failures, errors, skipped, and the ids and
tracebacks of the tests that did not pass.

Not a pytest module: ``tests/test_cpython_suites.py`` runs it in a subprocess.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
import unittest
import warnings

# What each suite runs: (module, [test class or test id relative to the module]).
SUITES = {
    "smtplib": (
        "test.test_smtplib",
        [
            "DebuggingServerTests",
            "SMTPSimTests",
            "SMTPUTF8SimTests",
            "SMTPAUTHInitialResponseSimTests",
        ],
    ),
    "logging": ("test.test_logging", ["SMTPHandlerTest"]),
    # 3.11 only: the test_smtpd tests that use real sockets (the others drive the
    # stdlib classes through test.mock_socket and asyncore internals).
    "smtpd": (
        "test.test_smtpd",
        [
            "SMTPDServerTest.test_decode_data_and_enable_SMTPUTF8_raises",
            "TestFamilyDetection",
            "MiscTestCase",
        ],
    ),
}

# The module names a suite imports smtpd by, per Python version.
SMTPD_NAMES = {(3, 11): "smtpd", (3, 12): "test.smtpd"}
SMTPD_NAME_DEFAULT = "test.support.smtpd"  # 3.13 and later


def smtpd_module_name() -> str:
    return SMTPD_NAMES.get(sys.version_info[:2], SMTPD_NAME_DEFAULT)


def install_module(name: str, module: object) -> None:
    """Make ``import name`` and ``from parent import leaf`` both find ``module``."""
    sys.modules[name] = module
    parent, _, leaf = name.rpartition(".")
    if parent:
        setattr(importlib.import_module(parent), leaf, module)


def install_smtpd_compat() -> object:
    """Alias asyncore/asynchat first (3.12+), then smtpd_compat as the suite's smtpd."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if sys.version_info >= (3, 12):
            from test.support import asynchat, asyncore

            install_module("asyncore", asyncore)
            install_module("asynchat", asynchat)
        else:
            import asynchat  # noqa: F401
            import asyncore  # noqa: F401
        import smtpd_compat
    install_module(smtpd_module_name(), smtpd_compat)
    return smtpd_compat


def load_suite(module_name: str, names: list) -> unittest.TestSuite:
    loader = unittest.TestLoader()
    return unittest.TestSuite(loader.loadTestsFromName(module_name + "." + n) for n in names)


def run(suite_name: str) -> dict:
    module_name, names = SUITES[suite_name]
    compat = install_smtpd_compat()
    suite = load_suite(module_name, names)
    module = sys.modules[module_name]
    for name, expected in (("smtpd", compat), ("asyncore", sys.modules["asyncore"])):
        if getattr(module, name) is not expected:
            raise RuntimeError(f"{module_name} uses another {name}: {expected!r}")
    log = io.StringIO()
    result = unittest.TextTestRunner(stream=log, verbosity=2).run(suite)
    sys.stderr.write(log.getvalue())
    problems = result.failures + result.errors + result.unexpectedSuccesses
    return {
        "suite": suite_name,
        "python": ".".join(map(str, sys.version_info[:3])),
        "run": result.testsRun,
        "failures": len(result.failures),
        "errors": len(result.errors),
        "skipped": len(result.skipped),
        "expected_failures": len(result.expectedFailures),
        "unexpected_successes": len(result.unexpectedSuccesses),
        "problems": {
            (test if isinstance(test, str) else test.id()): trace
            for test, trace in [
                (t, tb if isinstance(tb, str) else "unexpected success") for t, tb in problems
            ]
        },
        "skips": {test.id(): reason for test, reason in result.skipped},
        "module_file": getattr(sys.modules.get(module_name), "__file__", None),
    }


def main(argv: list) -> int:
    if len(argv) != 2 or argv[1] not in SUITES:
        sys.stderr.write(f"usage: cpython_suite_runner.py {{{','.join(SUITES)}}}\n")
        return 2
    report = run(argv[1])
    sys.stdout.write("\n" + json.dumps(report) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
