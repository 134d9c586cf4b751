"""The aiosmtpd versions and internals smtpd_compat relies on (issue 10, risks).

The installed aiosmtpd must have every pinned internal; an aiosmtpd outside the
supported range, or one that lacks an internal, makes ``import smtpd_compat`` an
ImportError that says what to do. The unsupported aiosmtpd is a stub package put
first on ``sys.path`` of a real subprocess.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict

import pytest

import smtpd_compat
from smtpd_compat import _pins

TIMEOUT = 60.0
SRC = str(Path(smtpd_compat.__file__).resolve().parent.parent)


def assigned_or_defined(owner: object, name: str) -> bool:
    """Independent of ``_pins``: a class attribute, or ``self.<name> =`` in the
    source of the class or of a base class."""
    if hasattr(owner, name):
        return True
    pattern = r"\bself\.%s\s*(?::[^=]+)?=" % re.escape(name)
    for klass in getattr(owner, "__mro__", (owner,)):
        if klass is object:
            continue
        if re.search(pattern, inspect.getsource(klass)):  # type: ignore[arg-type]
            return True
    return False


@pytest.mark.parametrize(
    "owner_name, name",
    [(owner, name) for owner, names in _pins.PINNED_INTERNALS.items() for name in names],
)
def test_every_pinned_internal_exists(owner_name: str, name: str) -> None:
    owner = _pins.resolve(owner_name)
    assert assigned_or_defined(owner, name), "%s.%s is gone" % (owner_name, name)


def test_installed_aiosmtpd_is_in_the_supported_range() -> None:
    import aiosmtpd

    assert _pins.supported(aiosmtpd.__version__)
    assert _pins.missing_internals() == []


@pytest.mark.parametrize(
    "version, ok",
    [
        ("1.4.6", True),
        ("1.4.6.post1", True),
        ("1.4.7", True),
        ("1.4.5", False),
        ("1.5.0", False),
        ("1.5.0a1", False),
        ("2.0", False),
        ("garbage", False),
    ],
)
def test_supported_range(version: str, ok: bool) -> None:
    assert _pins.supported(version) is ok


def import_with_stub(tmp_path: Path, files: Dict[str, str]) -> subprocess.CompletedProcess:
    """``import smtpd_compat`` in a subprocess whose ``aiosmtpd`` is the stub."""
    stub = tmp_path / "stub"
    for name, text in files.items():
        path = stub / "aiosmtpd" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTPD_COMPAT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(stub), SRC])
    code = "import aiosmtpd, sys; print(aiosmtpd.__file__, flush=True); import smtpd_compat"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=env, timeout=TIMEOUT
    )


def test_unsupported_version_is_a_clear_import_error(tmp_path: Path) -> None:
    proc = import_with_stub(tmp_path, {"__init__.py": '__version__ = "1.5.0"\n'})
    err = proc.stderr.decode()
    assert str(tmp_path) in proc.stdout.decode(), "the stub must shadow the real aiosmtpd"
    assert proc.returncode != 0
    last = err.strip().splitlines()[-1]
    assert last == (
        "ImportError: smtpd_compat supports aiosmtpd >=1.4.6,<1.5 (the releases its tests "
        "cover), but aiosmtpd 1.5.0 is installed. Install a supported release: "
        "pip install 'aiosmtpd>=1.4.6,<1.5'."
    ), err


def test_missing_internal_is_named(tmp_path: Path) -> None:
    smtp = """
        class SMTP:
            def _handle_client(self):
                self._reader = self.session = self.envelope = self.loop = None
                self.transport = self._original_transport = self._proxy_timeout = None
                self._timeout_handle = self._timeout_duration = None

            def _reset_timeout(self):
                pass

            def smtp_STARTTLS(self, arg):
                pass
        """
    proc = import_with_stub(
        tmp_path,
        {
            "__init__.py": '__version__ = "1.4.6"\n',
            "smtp.py": smtp,  # no _timeout_cb
            "proxy_protocol.py": "def get_proxy(): pass\n",
        },
    )
    last = proc.stderr.decode().strip().splitlines()[-1]
    assert proc.returncode != 0
    assert last.startswith("ImportError: smtpd_compat relies on aiosmtpd internals"), last
    assert "lacks: aiosmtpd.smtp.SMTP._timeout_cb. It supports aiosmtpd >=1.4.6,<1.5" in last


def test_missing_module_is_named(tmp_path: Path) -> None:
    proc = import_with_stub(tmp_path, {"__init__.py": '__version__ = "1.4.6"\n'})
    last = proc.stderr.decode().strip().splitlines()[-1]
    assert "lacks: aiosmtpd.smtp.SMTP, aiosmtpd.proxy_protocol." in last, last


# -- asyncio: the engine runs asyncio's loop one iteration at a time (_threads) ------


@pytest.mark.parametrize(
    "owner_name, name",
    [(owner, name) for owner, names in _pins.ASYNCIO_INTERNALS.items() for name in names],
)
def test_every_pinned_asyncio_internal_exists(owner_name: str, name: str) -> None:
    owner = _pins.resolve(owner_name)
    assert assigned_or_defined(owner, name), "%s.%s is gone" % (owner_name, name)


def test_this_pythons_asyncio_has_every_pinned_internal() -> None:
    assert _pins.missing_internals(_pins.ASYNCIO_INTERNALS, stored_only=True) == []
    _pins.check_asyncio()


def test_an_asyncio_without_a_pinned_internal_is_a_clear_import_error() -> None:
    code = (
        "import asyncio.base_events as b; del b.BaseEventLoop._run_once; "
        "import smtpd_compat"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTPD_COMPAT_")}
    env["PYTHONPATH"] = SRC
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=env, timeout=TIMEOUT
    )
    last = proc.stderr.decode().strip().splitlines()[-1]
    assert proc.returncode != 0
    assert last.startswith(
        "ImportError: smtpd_compat runs asyncio's event loop through internals that "
        "Python %d.%d" % sys.version_info[:2]
    ), last
    assert "lacks: asyncio.base_events.BaseEventLoop._run_once. It supports Python 3.8" in last


def test_the_event_loop_behaves_as_the_engine_assumes() -> None:
    from smtpd_compat import _threads

    _threads.check_engine_loop(_threads.EngineLoop)  # a probe of its own, every time


def test_an_iteration_that_would_wait_is_refused_before_serving() -> None:
    """An asyncio whose iteration no longer polls without waiting while
    ``_stopping`` is set would block the program's loop: refused, named."""
    from smtpd_compat import _threads

    class Drifted(_threads.EngineLoop):
        def _run_once(self) -> None:
            self._selector.select(None)  # type: ignore[attr-defined]  # waits

    with pytest.raises(RuntimeError, match=r"_run_once with _stopping polled with \[None\]"):
        _threads.check_engine_loop(Drifted)
