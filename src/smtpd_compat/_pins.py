"""The aiosmtpd versions and the aiosmtpd and asyncio internals the engine is
built on, checked at import.

``_bridge`` subclasses ``aiosmtpd.smtp.SMTP`` and relies on private parts of it. A
release that renamed one would not fail loudly: a renamed ``_timeout_cb`` would
only cut slow ``process_message`` sessions at the idle timeout. So the supported
range is the one the tests cover, and importing smtpd_compat with any other
aiosmtpd, or with one that lacks a pinned internal, is an ImportError that says
what is installed and what to do.

``_threads`` runs asyncio's loop one iteration at a time on the program's own
loop thread, through internals of asyncio's event loop (and of ``selectors``)
that are the same on Python 3.8 to 3.13: an interpreter that lacks one is an
ImportError too, and how the loop behaves is probed when the first loop is made
(``_threads.check_engine_loop``).
"""

from __future__ import annotations

import dis
import importlib
import platform
import re
import selectors
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

#: The Python versions whose asyncio the tests cover.
PYTHON_RANGE = "3.8 to 3.13"

#: What the engine uses of asyncio and selectors beyond their public API
#: (``_threads.EngineLoop``, ``_bridge``), in the format of PINNED_INTERNALS.
ASYNCIO_INTERNALS: Dict[str, Tuple[str, ...]] = {
    "asyncio.events": ("_get_running_loop", "_set_running_loop"),
    "asyncio.events.Handle": ("_run", "_cancelled"),
    "asyncio.events.TimerHandle": ("_when",),
    "asyncio.base_events.BaseEventLoop": (
        "_run_once",
        "_ready",
        "_scheduled",
        "_stopping",
        "_thread_id",
        "_debug",
    ),
    "asyncio.selector_events.BaseSelectorEventLoop": ("_process_events",),
    "asyncio.streams.StreamReader": ("_buffer",),
    "asyncio.streams.FlowControlMixin": ("_paused",),
}
if hasattr(selectors, "EpollSelector"):  # Linux: iterations read its events directly
    ASYNCIO_INTERNALS["selectors.EpollSelector"] = ("_selector", "_fd_to_key")


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


def names_stored_by_methods(cls: type) -> Set[str]:
    """Attribute names the class's methods assign (``self.<name> = ...``): an
    instance attribute, not a method a subclass merely calls."""
    names: Set[str] = set()
    for klass in cls.__mro__:
        for member in vars(klass).values():
            for code in code_objects(member):
                names.update(
                    str(instruction.argval)
                    for instruction in dis.get_instructions(code)
                    if instruction.opname == "STORE_ATTR"
                )
    return names


def missing_internals(
    pins: Optional[Dict[str, Tuple[str, ...]]] = None, stored_only: bool = False
) -> List[str]:
    """The pinned internals (of aiosmtpd unless ``pins`` says) that are missing,
    as dotted names. An instance attribute counts as present when a method reads
    or assigns it, or with ``stored_only`` when one assigns it."""
    missing: List[str] = []
    instance_names = names_stored_by_methods if stored_only else names_used_by_methods
    for owner_name, attributes in (PINNED_INTERNALS if pins is None else pins).items():
        try:
            owner = resolve(owner_name)
        except (ImportError, AttributeError):
            missing.append(owner_name)
            continue
        used = instance_names(owner) if isinstance(owner, type) else set()
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


def check_asyncio() -> None:
    """ImportError unless this Python's asyncio has every internal the engine uses."""
    missing = missing_internals(ASYNCIO_INTERNALS, stored_only=True)
    if missing:
        raise ImportError(
            "smtpd_compat runs asyncio's event loop through internals that Python %s "
            "lacks: %s. It supports Python %s (the versions its tests cover)."
            % (platform.python_version(), ", ".join(missing), PYTHON_RANGE)
        )


def _location() -> str:
    module: Any = importlib.import_module("aiosmtpd")
    return str(getattr(module, "__file__", None) or "an unknown location")
