"""The ``SMTPD_COMPAT_*`` environment, read strictly: settings fail closed.

A program nobody edited turns on STARTTLS or AUTH through the environment, so a
misspelt name or a value that is neither yes nor no must stop the server at
start-up with a message naming it, never leave a security setting off unnoticed.
The server (``_server``) declares which variables it reads; this module checks
the environment against them.
"""

from __future__ import annotations

import difflib
import os
from typing import Optional, Sequence

PREFIX = "SMTPD_COMPAT_"
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")

#: Read by smtpd_compat's own test suite, never by the library: tolerated.
TEST_SUITE_ENV = (
    "SMTPD_COMPAT_ORACLE_PYTHON",
    "SMTPD_COMPAT_FUZZ_EXAMPLES",
    "SMTPD_COMPAT_FUZZ_RANDOM",
    "SMTPD_COMPAT_VENV_CACHE",
)


def env_flag(name: str) -> Optional[bool]:
    """A boolean environment variable; None when unset. A value that is neither a
    yes nor a no word is an error: ``=ture`` must not mean "off"."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    if value not in TRUE_WORDS + FALSE_WORDS:
        raise ValueError(
            "%s=%r is not a yes/no value: use one of %s"
            % (name, os.environ[name], ", ".join(TRUE_WORDS + FALSE_WORDS))
        )
    return value in TRUE_WORDS


def check_environment(settings: Sequence[str], flags: Sequence[str]) -> None:
    """Refuse ``SMTPD_COMPAT_*`` variables that are not ``settings`` (misspellings)
    and ``flags`` whose value is neither yes nor no."""
    for flag in flags:
        env_flag(flag)
    known = set(settings) | set(TEST_SUITE_ENV)
    unknown = sorted(
        name for name in os.environ if name.upper().startswith(PREFIX) and name not in known
    )
    if not unknown:
        return
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name.upper(), settings, n=1)
        hints.append("%s (did you mean %s?)" % (name, close[0]) if close else name)
    raise ValueError(
        "unknown environment variable%s %s: smtpd_compat reads only %s"
        % ("s" if len(unknown) > 1 else "", ", ".join(hints), ", ".join(settings))
    )
