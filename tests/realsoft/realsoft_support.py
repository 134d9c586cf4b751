"""Parts shared by the real-software tier: the recording shim, its loop thread,
the tools from Debian's packages, processes that are always stopped, and waiting
for a condition with a deadline (never a fixed sleep)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, NoReturn, Optional, Sequence, Tuple

import pytest
from aiosmtpd.smtp import AuthResult

import smtpd_compat

TIMEOUT = 20.0
LOGIN, PASSWORD = "relayuser", "relay-secret"
#: Where Debian installs the tools when ``/usr/sbin`` is not on PATH (a plain user's
#: shell, some tox setups): Postfix's commands and HAProxy live there.
SYSTEM_DIRS = ("/usr/sbin", "/sbin", "/usr/bin", "/usr/lib/postfix/sbin")
#: The Debian package that brings each tool; ``.ci/run`` installs them.
PACKAGE_OF = {
    "postfix": "postfix",
    "postqueue": "postfix",
    "sendmail": "postfix",
    "swaks": "swaks",
    "haproxy": "haproxy",
}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing(reason: str) -> NoReturn:
    """Something the tier needs is not here: a failure in CI, a skip elsewhere."""
    if in_ci():
        pytest.fail("CI=true: " + reason, pytrace=False)
    pytest.skip(reason)


def tool(name: str) -> str:
    """The tool's path; a missing tool fails the test in CI and skips it elsewhere."""
    search = os.pathsep.join([os.environ.get("PATH", ""), *SYSTEM_DIRS])
    path = shutil.which(name, path=search)
    if path is None:
        package = PACKAGE_OF.get(name, name)
        missing("%s is not installed (apt-get install %s; .ci/run installs it)" % (name, package))
    return path


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        missing("%s needs root (its daemons switch to the postfix user)" % what)


def free_port() -> int:
    """A loopback port nobody listens on now, for programs that need a number up front."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    """Poll ``condition`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(0.05)


def run(argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """A tool run to completion, with a timeout and its output captured as text."""
    kwargs.setdefault("timeout", TIMEOUT)
    return subprocess.run(list(argv), capture_output=True, text=True, **kwargs)


class Credentials:
    """An aiosmtpd-style authenticator with one user; remembers the mechanisms used."""

    def __init__(self, login: str, password: str) -> None:
        self.expected = (login.encode(), password.encode())
        self.mechanisms: List[str] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (auth_data.login, auth_data.password) == self.expected
        self.mechanisms.append("%s %s" % (mechanism, "ok" if ok else "refused"))
        return AuthResult(success=ok, handled=False)


def production_shim_options(tls_context: Any, authenticator: Any) -> Dict[str, Any]:
    """What each instance behind the load balancer gets (migration_guide.md shows it)."""
    return {
        "tls_context": tls_context,
        "require_starttls": True,
        "authenticator": authenticator,
        "auth_required": True,
        "proxy_protocol": True,
    }


class Delivery:
    """One ``process_message`` call as the shim saw it."""

    def __init__(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
        self.peer: Tuple[Any, ...] = args[0]
        self.mailfrom: str = args[1]
        self.rcpttos: List[str] = args[2]
        self.data: bytes = args[3]
        self.kwargs = kwargs

    def header(self, name: str) -> Optional[str]:
        prefix = name.lower().encode() + b":"
        for line in self.data.split(b"\n\n", 1)[0].split(b"\n"):
            if line.lower().startswith(prefix):
                return line[len(prefix) :].strip().decode("utf-8")
        return None

    @property
    def body(self) -> bytes:
        body: bytes = self.data.split(b"\n\n", 1)[1]
        return body


class RecordingShim(smtpd_compat.SMTPServer):
    """A legacy-shaped sink: records every message it accepted and every attempt.

    ``failing`` makes ``process_message`` raise (the shim answers 451) until reset."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lock = threading.Lock()
        self.deliveries: List[Delivery] = []
        self.attempts = 0
        self.failing = False
        super().__init__(*args, **kwargs)

    def process_message(self, *args: Any, **kwargs: Any) -> Optional[str]:
        with self.lock:
            self.attempts += 1
            if self.failing:
                raise RuntimeError("handler down (test)")
            self.deliveries.append(Delivery(args, kwargs))
        return None

    def with_subject(self, subject: str) -> List[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.header("Subject") == subject]

    @property
    def port(self) -> int:
        port: int = self.socket.getsockname()[1]
        return port


class ShimLoop:
    """The program's loop over one server's own map, on a thread, as a legacy
    program runs ``asyncore.loop()``: user code runs there, so it must run."""

    def __init__(self, server_class: Any, **options: Any) -> None:
        self.map: Dict[int, Any] = {}
        self.server = server_class(("127.0.0.1", 0), None, map=self.map, **options)
        self.thread = threading.Thread(
            target=smtpd_compat.loop,
            kwargs={"map": self.map, "timeout": 0.5},
            name="shim-loop-%d" % self.server.port,
            daemon=True,
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.close()
        self.thread.join(TIMEOUT)
        if self.thread.is_alive():
            raise AssertionError("the shim's loop thread did not end after close()")


class ManagedProcess:
    """A long-running tool started by a test; ``stop`` always ends it, with timeouts."""

    def __init__(self, argv: Sequence[str], log_path: Path, **kwargs: Any) -> None:
        self.argv = list(argv)
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            self.argv, stdout=self._log, stderr=subprocess.STDOUT, **kwargs
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(TIMEOUT)
        self._log.close()


def wait_for_listener(
    port: int, what: str, process: Optional[ManagedProcess] = None, source: str = "127.0.0.1"
) -> None:
    """Until something accepts on 127.0.0.1:port (the probe connection closes at once)."""

    def accepts() -> bool:
        if process is not None and process.process.poll() is not None:
            raise AssertionError("%s exited early:\n%s" % (what, process.output()))
        try:
            socket.create_connection(("127.0.0.1", port), 1, (source, 0)).close()
        except OSError:
            return False
        return True

    wait_until(accepts, "%s to listen on port %d" % (what, port))
