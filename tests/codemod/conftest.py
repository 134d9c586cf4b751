"""The codemod needs libcst, which supports Python 3.9 and later (the ``codemod`` extra
installs it only there). On 3.8 these tests are not collected; from 3.9 on a missing
libcst fails them at import, never skips them.

libcst is imported here once, with its import-time DeprecationWarning (``mypy_extensions``
on some versions) ignored: the suite turns warnings into errors, and that warning is
libcst's own, not ours."""

import sys
import warnings

collect_ignore_glob = ["test_*.py"] if sys.version_info < (3, 9) else []

if sys.version_info >= (3, 9):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import libcst  # noqa: F401
