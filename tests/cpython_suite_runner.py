"""Run one of CPython's own smtpd-driving test suites against smtpd_compat.

Usage: ``python cpython_suite_runner.py SUITE [FILE]`` with SUITE one of
:data:`SUITES`. Without FILE the suite comes from the running interpreter's ``test``
package; with FILE it is loaded from that path (3.11's ``test_smtpd.py``, which left
the stdlib in 3.12, runs on 3.12+ that way: its ``test.mock_socket`` still ships). It
makes the suite's ``smtpd`` *be* smtpd_compat (under every name the suite imports it
by) and,
on 3.12+, makes ``asyncore``/``asynchat`` be the suite's ``test.support`` copies
before smtpd_compat is imported, so that the package and the suite drive one and the
same asyncore module. It then runs the selected unittest classes and prints, as its
last stdout line, a JSON object: run, failures, errors, skipped, and the ids and
tracebacks of the tests that did not pass.

Not a pytest module: ``tests/test_cpython_suites.py`` runs it in a subprocess.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import sys
import unittest
import warnings
from typing import Any, List, Optional

# What each suite runs: (module, [test class or test id relative to the module]),
# None for the whole module.
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
    # All of it: channels built on test.mock_socket sockets, driven by handle_read().
    "smtpd": ("test.test_smtpd", None),
}


# The module names a suite imports smtpd by, per Python version.
def smtpd_module_name() -> str:
    if sys.version_info < (3, 12):
        return "smtpd"  # the stdlib module
    if sys.version_info < (3, 13):
        return "test.smtpd"
    return "test.support.smtpd"


def install_module(name: str, module: object) -> None:
    """Make ``import name`` and ``from parent import leaf`` both find ``module``."""
    sys.modules[name] = module
    parent, _, leaf = name.rpartition(".")
    if parent:
        setattr(importlib.import_module(parent), leaf, module)


def install_smtpd_compat() -> Any:
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
    sys.modules.setdefault("smtpd", smtpd_compat)  # 3.11's test_smtpd, run on 3.12+
    return smtpd_compat


def load_module_file(module_name: str, path: str) -> None:
    """Import the suite from ``path`` as ``module_name`` (another Python's file)."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    install_module(module_name, module)
    spec.loader.exec_module(module)


def load_suite(module_name: str, names: Optional[List[str]]) -> unittest.TestSuite:
    loader = unittest.TestLoader()
    if names is None:
        return loader.loadTestsFromModule(importlib.import_module(module_name))
    return unittest.TestSuite(loader.loadTestsFromName(module_name + "." + n) for n in names)


def run(suite_name: str, path: Optional[str] = None) -> dict:
    module_name, names = SUITES[suite_name]
    compat = install_smtpd_compat()
    if path is not None:
        load_module_file(module_name, path)
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
    if len(argv) not in (2, 3) or argv[1] not in SUITES:
        sys.stderr.write(f"usage: cpython_suite_runner.py {{{','.join(SUITES)}}} [FILE]\n")
        return 2
    report = run(argv[1], argv[2] if len(argv) == 3 else None)
    sys.stdout.write("\n" + json.dumps(report) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
