"""Security settings fail closed (issue 10, defect 5).

Requiring STARTTLS without a usable certificate, a TLS key without a certificate,
a misspelt ``SMTPD_COMPAT_*`` variable, a yes/no variable with another value, an
unreadable credentials file and ``auth_required`` that no client could meet are
start-up errors that name the setting; the server never starts serving plaintext.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
import trustme

from smtp_helpers import TIMEOUT, Recorder

LOCAL = ("127.0.0.1", 0)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("SMTPD_COMPAT_"):
            monkeypatch.delenv(name)


def test_require_starttls_keyword_without_certificate_is_an_error() -> None:
    with pytest.raises(ValueError) as info:
        Recorder(LOCAL, None, require_starttls=True)
    message = str(info.value)
    assert "require_starttls" in message
    assert "tls_context=" in message and "SMTPD_COMPAT_TLS_CERT" in message


@pytest.mark.parametrize("value", ["1", "true", "YES", "on"])
def test_require_starttls_from_environment_without_certificate_is_an_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SMTPD_COMPAT_REQUIRE_STARTTLS", value)
    with pytest.raises(ValueError, match="needs a certificate: pass tls_context=, or set SMTPD_"):
        Recorder(LOCAL, None)


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_require_starttls_off_values_serve_as_before(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SMTPD_COMPAT_REQUIRE_STARTTLS", value)
    server = Recorder(LOCAL, None)
    try:
        assert server.require_starttls is False
    finally:
        server.close()


@pytest.mark.parametrize(
    "name",
    [
        "SMTPD_COMPAT_REQUIRE_STARTTLS",
        "SMTPD_COMPAT_AUTH_REQUIRED",
        "SMTPD_COMPAT_AUTH_ALLOW_PLAINTEXT",
        "SMTPD_COMPAT_PROXY_PROTOCOL",
        "SMTPD_COMPAT_SIGTERM",
    ],
)
def test_a_flag_that_is_neither_yes_nor_no_is_an_error(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "ture")
    with pytest.raises(ValueError, match="%s='ture' is not a yes/no" % name):
        Recorder(LOCAL, None)


def test_tls_key_without_certificate_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = tmp_path / "key.pem"
    key.write_text("not used")
    monkeypatch.setenv("SMTPD_COMPAT_TLS_KEY", str(key))
    with pytest.raises(ValueError, match="SMTPD_COMPAT_TLS_KEY is set but SMTPD_COMPAT_TLS_CERT"):
        Recorder(LOCAL, None)


def test_misspelt_variable_is_an_error_that_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTPD_COMPAT_REQUIRE_STARTLS", "1")
    with pytest.raises(ValueError) as info:
        Recorder(LOCAL, None)
    message = str(info.value)
    assert message.startswith(
        "unknown environment variable SMTPD_COMPAT_REQUIRE_STARTLS "
        "(did you mean SMTPD_COMPAT_REQUIRE_STARTTLS?): smtpd_compat reads only "
    ), message
    for known in ("SMTPD_COMPAT_TLS_CERT", "SMTPD_COMPAT_TLS_KEY", "SMTPD_COMPAT_AUTH_FILE"):
        assert known in message


def test_lower_case_variable_is_caught_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("smtpd_compat_require_starttls", "1")
    with pytest.raises(ValueError, match="smtpd_compat_require_starttls"):
        Recorder(LOCAL, None)


def test_unreadable_credentials_file_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-users"
    with pytest.raises(OSError, match="cannot read credentials file '%s'" % missing):
        Recorder(LOCAL, None, auth_file=str(missing))
    with pytest.raises(OSError, match="cannot read credentials file '%s'" % tmp_path):
        Recorder(LOCAL, None, auth_file=str(tmp_path))  # a directory


def test_auth_required_that_no_client_can_meet_is_an_error() -> None:
    def anyone(*args: Any) -> bool:
        return True

    with pytest.raises(ValueError, match="auth_required with AUTH over TLS only"):
        Recorder(LOCAL, None, authenticator=anyone, auth_required=True)
    server = Recorder(LOCAL, None, authenticator=anyone, auth_required=True, auth_require_tls=False)
    server.close()


def run_program(args: Any, env: Dict[str, str]) -> subprocess.CompletedProcess:
    """A real process; one that serves (the defect) is killed at the timeout."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("SMTPD_COMPAT_")}
    proc = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**clean, **env},
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=TIMEOUT)
        pytest.fail("the server started without a certificate: %r" % err)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_command_line_require_starttls_without_certificate_does_not_serve() -> None:
    done = run_program(["-m", "smtpd_compat", "-n", "--require-starttls", "127.0.0.1:0"], {})
    assert done.returncode != 0
    assert b"needs a certificate" in done.stderr and b"--tls-cert" in done.stderr
    assert b"Traceback" not in done.stderr


UNEDITED_PROGRAM = """
import smtpd_compat as smtpd

class Sink(smtpd.SMTPServer):
    def process_message(self, *args, **kwargs):
        pass

server = Sink(("127.0.0.1", 0), None)
print("serving", flush=True)
smtpd.loop()
"""


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"SMTPD_COMPAT_REQUIRE_STARTTLS": "1"}, b"needs a certificate"),
        ({"SMTPD_COMPAT_REQUIRE_STARTLS": "1"}, b"SMTPD_COMPAT_REQUIRE_STARTLS (did you mean"),
    ],
)
def test_unedited_program_does_not_serve_plaintext(env: Dict[str, str], expected: bytes) -> None:
    done = run_program(["-c", UNEDITED_PROGRAM], env)
    assert done.returncode != 0 and done.stdout == b""
    assert expected in done.stderr


@pytest.mark.parametrize("require_starttls", [False, True])
def test_tls_context_without_certificate_is_an_error(require_starttls: bool) -> None:
    empty = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)  # no load_cert_chain()
    with pytest.raises(ValueError, match="tls_context has no certificate"):
        Recorder(LOCAL, None, tls_context=empty, require_starttls=require_starttls)


def test_tls_context_that_requires_client_certificates_is_accepted() -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    context.verify_mode = ssl.CERT_REQUIRED
    server = Recorder(LOCAL, None, tls_context=context, require_starttls=True)
    server.close()
