"""smtpd_compat: Python 3.11's ``smtpd``, served by aiosmtpd, on Python 3.8 to 3.13.

``import smtpd_compat as smtpd`` and a legacy program runs unchanged. This module is
the public face only: the legacy names, looked up here at run time
(``DEBUGSTREAM``, ``__version__``), as programs and tests replace them.
"""

from __future__ import annotations

import socket as socket  # legacy ``smtpd.socket``: tests patch it with a mock module
import sys

from ._pins import check_aiosmtpd, check_asyncio

# Before anything touches aiosmtpd's or asyncio's internals: an unsupported
# release is a clear ImportError here, not an AttributeError (or a silent
# misbehaviour) later.
check_aiosmtpd()
check_asyncio()

from ._channel import DATA_SIZE_DEFAULT as DATA_SIZE_DEFAULT  # noqa: E402
from ._channel import NEWLINE as NEWLINE  # noqa: E402
from ._channel import SMTPChannel  # noqa: E402
from ._server import DebuggingServer, PureProxy, SMTPServer  # noqa: E402
from ._server import close_all as close_all  # noqa: E402
from ._server import loop as loop  # noqa: E402

__all__ = ["SMTPChannel", "SMTPServer", "DebuggingServer", "PureProxy"]

program = sys.argv[0]
__version__ = "Python SMTP proxy version 0.3"
COMMASPACE = ", "


class Devnull:
    """Where debug output goes unless a program sets ``DEBUGSTREAM``."""

    def write(self, msg: str) -> None:
        pass

    def flush(self) -> None:
        pass


DEBUGSTREAM: object = Devnull()

# The public classes answer as members of this module, as they did of ``smtpd``
# (reprs, pickles, and CPython's own ``check__all__``).
for _cls in (SMTPChannel, SMTPServer, DebuggingServer, PureProxy):
    _cls.__module__ = __name__
del _cls
