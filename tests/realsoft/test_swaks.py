"""swaks, the SMTP test client admins reach for, against the shim: STARTTLS with a
verified certificate, AUTH PLAIN and LOGIN, 8-bit bodies, SIZE limits.

Each case asserts swaks' exit status (its documented codes: 23 MAIL refused,
26 message refused after DATA, 28 AUTH failed) and what ``process_message`` got.
"""

from __future__ import annotations

import re
import ssl
import subprocess
import uuid
from pathlib import Path
from typing import Callable, List

import pytest
from realsoft_support import LOGIN, PASSWORD, Credentials, RecordingShim, run, tool

MAIL_REFUSED, DATA_REFUSED, AUTH_FAILED = 23, 26, 28
SENDER, RECIPIENT = "swaks@client.test", "rcpt@example.com"
SERVER_LINE = re.compile(r"^<[-~*]+\s+(.*)$")  # <- plain, <~ TLS, <** <~* errors
UTF8_LINES = ["Grüße aus Köln – 日本語 ✓", ".a leading dot, 8-bit: é", "plain ascii"]


def swaks(shim: RecordingShim, *options: str) -> SwaksRun:
    argv = [tool("swaks"), "--server", "127.0.0.1", "--port", str(shim.port)]
    argv += ["--from", SENDER, "--to", RECIPIENT, "--timeout", "20", *options]
    return SwaksRun(run(argv, timeout=60))


class SwaksRun:
    """swaks' exit status and its transcript (``<-`` server lines, ``->`` client lines)."""

    def __init__(self, result: subprocess.CompletedProcess[str]) -> None:
        self.status = result.returncode
        self.transcript = result.stdout + result.stderr

    def server_said(self, text: str) -> bool:
        """Some line the server sent starts with ``text``."""
        return any(
            match.group(1).startswith(text)
            for match in map(SERVER_LINE.match, self.transcript.splitlines())
            if match
        )


def message_file(tmp_path: Path, subject: str, lines: List[str]) -> str:
    """A message for ``--data @file``; swaks sends it with CRLF and dot-stuffed (a
    final newline in the file would be sent as one more, empty, line)."""
    path = tmp_path / ("%s.eml" % uuid.uuid4().hex)
    text = "Subject: %s\nContent-Type: text/plain; charset=utf-8\n\n%s" % (
        subject,
        "\n".join(lines),
    )
    path.write_bytes(text.encode("utf-8"))
    return "@%s" % path


@pytest.fixture
def tls_shim(start_shim: Callable[..., RecordingShim], server_tls: ssl.SSLContext) -> RecordingShim:
    return start_shim(tls_context=server_tls, require_starttls=True)


def test_starttls_with_a_verified_certificate(tls_shim: RecordingShim, ca_file: Path) -> None:
    tls = ["--tls", "--tls-verify", "--tls-ca-path", str(ca_file)]
    done = swaks(tls_shim, *tls, "--header", "Subject: over tls")
    assert done.status == 0, done.transcript
    assert "TLS started" in done.transcript
    (delivery,) = tls_shim.with_subject("over tls")
    assert (delivery.mailfrom, delivery.rcpttos) == (SENDER, [RECIPIENT])


def test_plaintext_mail_is_refused_when_starttls_is_required(tls_shim: RecordingShim) -> None:
    done = swaks(tls_shim, "--header", "Subject: in clear")
    assert done.status == MAIL_REFUSED, done.transcript
    assert done.server_said("530")
    assert tls_shim.attempts == 0


@pytest.fixture
def auth_shim(
    start_shim: Callable[..., RecordingShim],
    server_tls: ssl.SSLContext,
    credentials: Credentials,
) -> RecordingShim:
    return start_shim(tls_context=server_tls, authenticator=credentials, auth_required=True)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_over_starttls(
    auth_shim: RecordingShim, credentials: Credentials, mechanism: str
) -> None:
    login = ["--auth", mechanism, "--auth-user", LOGIN, "--auth-password", PASSWORD]
    done = swaks(auth_shim, "--tls", *login, "--header", "Subject: auth " + mechanism)
    assert done.status == 0, done.transcript
    assert done.server_said("235")
    assert credentials.mechanisms == [mechanism + " ok"]
    assert len(auth_shim.with_subject("auth " + mechanism)) == 1
    assert PASSWORD not in done.transcript  # swaks shows it only base64-encoded


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_wrong_password_fails_auth_and_delivers_nothing(
    auth_shim: RecordingShim, credentials: Credentials, mechanism: str
) -> None:
    login = ["--auth", mechanism, "--auth-user", LOGIN, "--auth-password", "wrong"]
    done = swaks(auth_shim, "--tls", *login)
    assert done.status == AUTH_FAILED, done.transcript
    assert done.server_said("535")
    assert credentials.mechanisms == [mechanism + " refused"]
    assert auth_shim.attempts == 0


def test_auth_is_not_offered_before_starttls(
    auth_shim: RecordingShim, credentials: Credentials
) -> None:
    login = ["--auth", "PLAIN", "--auth-user", LOGIN, "--auth-password", PASSWORD]
    done = swaks(auth_shim, *login)
    assert done.status == AUTH_FAILED, done.transcript
    assert credentials.mechanisms == []
    assert auth_shim.attempts == 0


def test_8bit_body_arrives_byte_for_byte(
    start_shim: Callable[..., RecordingShim], tmp_path: Path
) -> None:
    shim = start_shim()
    done = swaks(shim, "--data", message_file(tmp_path, "eight bit", UTF8_LINES))
    assert done.status == 0, done.transcript
    assert done.server_said("250-8BITMIME")
    (delivery,) = shim.with_subject("eight bit")
    assert delivery.body == "\n".join(UTF8_LINES).encode("utf-8")


@pytest.mark.parametrize("size, accepted", [(1500, True), (5000, False)])
def test_size_limit(
    start_shim: Callable[..., RecordingShim], tmp_path: Path, size: int, accepted: bool
) -> None:
    shim = start_shim(data_size_limit=2048)
    lines = ["x" * 99] * (size // 100)
    done = swaks(shim, "--data", message_file(tmp_path, "size %d" % size, lines))
    assert done.server_said("250-SIZE 2048")
    if accepted:
        assert done.status == 0, done.transcript
        assert len(shim.with_subject("size %d" % size)) == 1
    else:
        assert done.status == DATA_REFUSED, done.transcript
        assert done.server_said("552")
        assert shim.attempts == 0
