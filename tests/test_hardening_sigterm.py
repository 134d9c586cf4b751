"""The SIGTERM handler the shim installs (issue 10, risks): documented, never in
the way of a program's own handler, and optional (``SMTPD_COMPAT_SIGTERM=0``).

Each case is a real program in a subprocess that gets a real SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from typing import Dict, Tuple

import pytest

from smtp_helpers import TIMEOUT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

PROGRAM = textwrap.dedent(
    """
    import signal, sys
    import smtpd_compat as smtpd

    class Stop(Exception):
        pass

    def own_handler(signum, frame):
        raise Stop()

    class Sink(smtpd.SMTPServer):
        def process_message(self, *args, **kwargs):
            pass

    when = sys.argv[1]
    if when == "before":
        signal.signal(signal.SIGTERM, own_handler)
    server = Sink(("127.0.0.1", 0), None)
    if when == "after":
        signal.signal(signal.SIGTERM, own_handler)
    if when == "closed":
        server.close()
        print("ready", flush=True)
        signal.pause()
    try:  # our handler may run as soon as "ready" is out
        print("ready", flush=True)
        smtpd.loop()
    except Stop:
        print("own handler ran", flush=True)
        server.close()
    """
)


def run(when: str, env: Dict[str, str]) -> Tuple[int, bytes, bytes]:
    """Start the program, send SIGTERM once it serves, return its exit and output."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SMTPD_COMPAT_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, when],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**clean, **env},
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=TIMEOUT)
    return proc.returncode, out, err


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_program_keeps_its_own_handler(when: str) -> None:
    code, out, err = run(when, {})
    assert (code, out) == (0, b"own handler ran\n"), err


def test_default_sigterm_closes_gracefully_and_exits_143() -> None:
    code, out, err = run("none", {})
    assert code == 128 + signal.SIGTERM and out == b"", err


@pytest.mark.parametrize("value", ["0", "no", "off"])
def test_opt_out_keeps_the_default_action(value: str) -> None:
    code, out, err = run("none", {"SMTPD_COMPAT_SIGTERM": value})
    assert code == -signal.SIGTERM, err


def test_once_every_server_is_closed_sigterm_kills_as_before() -> None:
    code, out, err = run("closed", {})
    assert code == -signal.SIGTERM, err
