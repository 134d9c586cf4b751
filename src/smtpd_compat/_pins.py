"""The aiosmtpd versions and internals the engine is built on, checked at import.

``_bridge`` subclasses ``aiosmtpd.smtp.SMTP`` and relies on private parts of it. A
release that renamed one would not fail loudly: a renamed ``_timeout_cb`` would
only cut slow ``process_message`` sessions at the idle timeout. So the supported
range is the one the tests cover, and importing smtpd_compat with any other
aiosmtpd, or with one that lacks a pinned internal, is an ImportError that says
what is installed and what to do.
"""

from __future__ import annotations

import importlib
import re
import types
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

#: The aiosmtpd releases the test suite covers: at least MINIMUM, below BELOW.
MINIMUM = (1, 4, 6)
BELOW = (1, 5)
SUPPORTED_RANGE = ">=1.4.6,<1.5"

#: What the engine uses of aiosmtpd beyond its public API: "module.Class" (or
#: "module") -> names. An instance attribute counts as present when a method of
#: the class reads or assigns it.
PINNED_INTERNALS: Dict[str, Tuple[str, ...]] = {
    "aiosmtpd.smtp.SMTP": (
        "_handle_client",
        "_reader",
        "_timeout_cb",
        "_reset_timeout",
        "_timeout_handle",
        "_timeout_duration",
        "_proxy_timeout",
        "session",
        "envelope",
        "loop",
        "transport",
    ),
    "aiosmtpd.proxy_protocol": ("get_proxy",),
}


def parse_version(text: str) -> Optional[Tuple[int, ...]]:
    """The release numbers at the start of a version string (``1.4.6.post1`` -> 1.4.6)."""
    match = re.match(r"\s*(\d+(?:\.\d+)*)", text)
    if match is None:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


def installed_version() -> str:
    """The version of the aiosmtpd that ``import aiosmtpd`` finds (not just metadata)."""
    module: Any = importlib.import_module("aiosmtpd")
    version = getattr(module, "__version__", None)
    if isinstance(version, str):
        return version
    from importlib import metadata

    return metadata.version("aiosmtpd")


def supported(version: str) -> bool:
    numbers = parse_version(version)
    return numbers is not None and MINIMUM <= numbers < BELOW


def resolve(dotted: str) -> Any:
    """Import ``module`` or ``module.Class``; AttributeError/ImportError if absent."""
    try:
        return importlib.import_module(dotted)
    except ImportError:
        module_name, _, attribute = dotted.rpartition(".")
        if not module_name:
            raise
        return getattr(importlib.import_module(module_name), attribute)


def code_objects(obj: Any) -> Iterator[types.CodeType]:
    """Every code object of a function, property or method, nested ones included."""
    for function in (obj, getattr(obj, "fget", None), getattr(obj, "fset", None)):
        code = getattr(getattr(function, "__func__", function), "__code__", None)
        pending = [code] if isinstance(code, types.CodeType) else []
        while pending:
            code = pending.pop()
            yield code
            pending.extend(c for c in code.co_consts if isinstance(c, types.CodeType))


def names_used_by_methods(cls: type) -> Set[str]:
    """Attribute names the class's methods read or assign (``self.<name>``)."""
    names: Set[str] = set()
    for klass in cls.__mro__:
        for member in vars(klass).values():
            for code in code_objects(member):
                names.update(code.co_names)
    return names


def missing_internals() -> List[str]:
    """The pinned internals the installed aiosmtpd lacks, as dotted names."""
    missing: List[str] = []
    for owner_name, attributes in PINNED_INTERNALS.items():
        try:
            owner = resolve(owner_name)
        except (ImportError, AttributeError):
            missing.append(owner_name)
            continue
        used = names_used_by_methods(owner) if isinstance(owner, type) else set()
        missing += [
            "%s.%s" % (owner_name, name)
            for name in attributes
            if not hasattr(owner, name) and name not in used
        ]
    return missing


def check_aiosmtpd() -> None:
    """ImportError with what to do, unless aiosmtpd is a version the tests cover."""
    version = installed_version()
    advice = "Install a supported release: pip install 'aiosmtpd%s'." % SUPPORTED_RANGE
    if not supported(version):
        raise ImportError(
            "smtpd_compat supports aiosmtpd %s (the releases its tests cover), "
            "but aiosmtpd %s is installed. %s" % (SUPPORTED_RANGE, version, advice)
        )
    missing = missing_internals()
    if missing:
        raise ImportError(
            "smtpd_compat relies on aiosmtpd internals that aiosmtpd %s (at %s) lacks: "
            "%s. It supports aiosmtpd %s. %s"
            % (version, _location(), ", ".join(missing), SUPPORTED_RANGE, advice)
        )


def _location() -> str:
    module: Any = importlib.import_module("aiosmtpd")
    return str(getattr(module, "__file__", None) or "an unknown location")
