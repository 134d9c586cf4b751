"""smtpd-compat-codemod: rewrite legacy smtpd servers into native aiosmtpd code.

This module imports on every supported interpreter, including Python 3.8 without
libcst: the rewriting machinery is imported only when ``main()`` runs, so an
unsupported interpreter gets a clear message instead of a traceback.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

__all__ = ["main"]

UNSUPPORTED = (
    "smtpd-compat-codemod needs Python >= 3.9 and libcst: pip install 'smtpd-compat[codemod]'"
)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status (0, 1, or 2 on usage errors)."""
    if sys.version_info < (3, 9):
        return _unsupported()
    try:
        import libcst  # noqa: F401
    except ImportError:
        return _unsupported()
    from smtpd_compat.codemod._cli import run

    return run(argv)


def _unsupported() -> int:
    print(UNSUPPORTED, file=sys.stderr)
    return 2
