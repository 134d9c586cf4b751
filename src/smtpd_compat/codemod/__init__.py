"""smtpd-compat-codemod: rewrite legacy smtpd servers into native aiosmtpd code.

This module imports on every supported interpreter, including Python 3.8 without
libcst: the rewriting machinery is imported only when ``main()`` runs, so an
unsupported interpreter gets a clear message instead of a traceback.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

__all__ = ["main"]

# On 3.8 the [codemod] extra installs nothing (libcst needs 3.9): installing it
# again cannot help there, so that message names the interpreter instead.
NEEDS_PYTHON_39 = (
    "smtpd-compat-codemod needs Python 3.9 or later (this is Python %d.%d): "
    "run it with a newer interpreter"
)
NEEDS_LIBCST = "smtpd-compat-codemod needs libcst: pip install 'smtpd-compat[codemod]'"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status (0, 1, or 2 on usage errors)."""
    if sys.version_info < (3, 9):
        return _unsupported(NEEDS_PYTHON_39 % tuple(sys.version_info[:2]))
    try:
        import libcst  # noqa: F401
    except ImportError:
        return _unsupported(NEEDS_LIBCST)
    from smtpd_compat.codemod._cli import run

    return run(argv)


def _unsupported(message: str) -> int:
    print(message, file=sys.stderr)
    return 2
