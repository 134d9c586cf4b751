"""AUTH leaks nothing (issue 10, defect 6).

``DEBUGSTREAM`` (``-d``) shows AUTH lines with the credentials masked; a failed
check answers the same 535 after the same bcrypt work whether the user exists, the
password is wrong or too long for bcrypt; AUTH answers are lines of their own for
the legacy command size limits.
"""

from __future__ import annotations

import base64
import io
import logging
import smtplib
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import bcrypt
import pytest
from aiosmtpd.smtp import AuthResult

import smtpd_compat
from smtp_helpers import TIMEOUT, Recorder, smtp_client
from test_command_line import CLIProcess, free_port

USER, PASSWORD = b"alice", b"wonderland"
LONG_PASSWORD = b"p" * 72  # the most bcrypt reads


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


@pytest.fixture
def debugstream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    saved, smtpd_compat.DEBUGSTREAM = smtpd_compat.DEBUGSTREAM, stream
    try:
        yield stream
    finally:
        smtpd_compat.DEBUGSTREAM = saved


def anyone_with_the_password(*args: Any) -> AuthResult:
    auth = args[-1]
    return AuthResult(success=auth.password == PASSWORD)


SECRETS = [
    PASSWORD,
    b64(PASSWORD),
    b64(b"\0" + USER + b"\0" + PASSWORD),
    b64(USER + b"\0" + USER + b"\0" + PASSWORD),
]


def test_debugstream_masks_every_credential(make_server: Any, raw: Any, debugstream: Any) -> None:
    server = make_server(Recorder, authenticator=anyone_with_the_password, auth_require_tls=False)
    plain = b64(b"\0" + USER + b"\0" + PASSWORD)
    dialogues: List[List[Tuple[bytes, bytes]]] = [
        [(b"AUTH PLAIN " + plain, b"235")],  # initial response
        [(b"AUTH PLAIN", b"334"), (b64(USER + b"\0" + USER + b"\0" + PASSWORD), b"235")],
        [(b"AUTH LOGIN", b"334"), (b64(USER), b"334"), (b64(PASSWORD), b"235")],
        [(b"AUTH LOGIN " + b64(USER), b"334"), (b64(PASSWORD), b"235")],
        [(b"auth plain  " + plain, b"235")],
    ]
    for dialogue in dialogues:
        client = raw(server)
        client.reply()
        client.command(b"EHLO x")
        for line, code in dialogue:
            assert client.command(line)[:3] == code, line
        client.command(b"QUIT")
    server.close()
    shown = debugstream.getvalue()
    for secret in SECRETS + [b64(USER)]:
        assert secret.decode() not in shown
    assert "Data: b'AUTH PLAIN ****'" in shown
    assert "Data: b'AUTH LOGIN ****'" in shown
    assert "Data: b'auth plain ****'" in shown
    assert shown.count("Data: b'****'") == 4  # every answer to a 334
    assert "Data: b'AUTH LOGIN'" in shown and "Data: b'EHLO x'" in shown  # the rest as before


def test_command_line_debug_output_masks_credentials(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_bytes(USER + b":" + bcrypt.hashpw(PASSWORD, bcrypt.gensalt(rounds=4)) + b"\n")
    port = free_port()
    cli = CLIProcess(
        "-n",
        "-c",
        "DebuggingServer",
        "--auth-file",
        str(users),
        "--auth-allow-plaintext",
        "127.0.0.1:%d" % port,
    )
    try:
        cli.wait_for(b"Local addr:")
        with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as client:
            assert client.login(USER.decode(), PASSWORD.decode())[0] == 235
    finally:
        cli.stop()
    shown = b"".join(cli.stderr.queue)
    assert b"Data: b'AUTH PLAIN ****'" in shown, shown
    for secret in SECRETS:
        assert secret not in shown


class CountingCheckpw:
    """Wraps the real ``bcrypt.checkpw``: records each hash it was asked to check."""

    def __init__(self) -> None:
        self.real = bcrypt.checkpw
        self.hashes: List[bytes] = []

    def __call__(self, password: bytes, hashed: bytes) -> bool:
        self.hashes.append(hashed)
        return bool(self.real(password, hashed))


@pytest.fixture
def credentials_server(
    make_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Tuple[Any, CountingCheckpw]:
    counter = CountingCheckpw()
    monkeypatch.setattr(bcrypt, "checkpw", counter)
    users = tmp_path / "users"
    lines = [
        USER + b":" + bcrypt.hashpw(PASSWORD, bcrypt.gensalt(rounds=5)),
        b"long:" + bcrypt.hashpw(LONG_PASSWORD, bcrypt.gensalt(rounds=5)),
    ]
    users.write_bytes(b"\n".join(lines) + b"\n")
    server = make_server(Recorder, auth_file=str(users), auth_require_tls=False)
    return server, counter


def try_login(server: Any, user: bytes, password: bytes) -> Tuple[int, bytes]:
    """AUTH PLAIN, or LOGIN for a password PLAIN cannot carry (a NUL byte)."""
    with smtp_client(server) as client:
        client.ehlo()
        if b"\0" not in password:
            return client.docmd("AUTH", "PLAIN " + b64(b"\0" + user + b"\0" + password).decode())
        assert client.docmd("AUTH", "LOGIN " + b64(user).decode())[0] == 334
        return client.docmd(b64(password).decode())


@pytest.mark.parametrize(
    "user, password",
    [
        (USER, b"wrong"),  # known user, wrong password
        (b"mallory", b"wrong"),  # unknown user
        (USER, b"x" * 100),  # known user, password over bcrypt's 72 bytes
        (b"long", LONG_PASSWORD + b"!"),  # its first 72 bytes are right: still refused
        (b"mallory", b"x" * 100),
        (USER, b"nul\0byte"),
    ],
)
def test_every_failed_login_looks_the_same(
    credentials_server: Any, caplog: pytest.LogCaptureFixture, user: bytes, password: bytes
) -> None:
    server, counter = credentials_server
    with caplog.at_level(logging.INFO, logger="smtpd_compat"):
        code, text = try_login(server, user, password)
    assert (code, text) == (535, b"5.7.8 Authentication credentials invalid")
    assert len(counter.hashes) == 1, "one bcrypt check per attempt, known user or not"
    assert counter.hashes[0][:7] == b"$2b$05$", "at the cost of the file's hashes"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(server.calls) == 0


@pytest.mark.parametrize("user, password", [(USER, PASSWORD), (b"long", LONG_PASSWORD)])
def test_right_password_still_logs_in(
    credentials_server: Any, user: bytes, password: bytes
) -> None:
    server, counter = credentials_server
    assert try_login(server, user, password)[0] == 235
    assert len(counter.hashes) == 1


def long_login_then(make_server: Any, raw: Any, mail_line: bytes) -> bytes:
    long_user = b"u" * 300

    def check(*args: Any) -> bool:
        return bool(args[-1].login == long_user)

    server = make_server(Recorder, authenticator=check, auth_require_tls=False)
    client = raw(server)
    client.reply()
    client.command(b"EHLO x")
    assert client.command(b"AUTH LOGIN")[:3] == b"334"
    assert client.command(b64(long_user))[:3] == b"334"  # 400 bytes
    assert client.command(b64(b"p" * 300))[:3] == b"235"  # 400 more
    return client.command(mail_line)


def test_auth_answers_do_not_count_against_the_next_command(make_server: Any, raw: Any) -> None:
    line = b"MAIL FROM:<" + b"a" * (125 - len(b"MAIL FROM:<@b.c>")) + b"@b.c>"
    assert len(line) == 125
    assert long_login_then(make_server, raw, line) == b"250 OK\r\n"


def test_legacy_command_size_limit_still_holds_after_auth(make_server: Any, raw: Any) -> None:
    # Legacy: MAIL may be 512 + 26 (SIZE advertised) bytes after EHLO, not more.
    line = b"MAIL FROM:<" + b"a" * (539 - len(b"MAIL FROM:<@b.c>")) + b"@b.c>"
    assert len(line) == 539
    assert long_login_then(make_server, raw, line) == b"500 Error: line too long\r\n"
