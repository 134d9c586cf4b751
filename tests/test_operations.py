"""AUTH, PROXY protocol, transaction logging and graceful shutdown (issue 6)."""

from __future__ import annotations

import base64
import logging
import smtplib
import ssl
import threading
from pathlib import Path
from typing import Any, List, Optional

import bcrypt
import pytest
import trustme
from aiosmtpd.smtp import AuthResult

import smtpd_compat
from smtp_helpers import TIMEOUT, Recorder, port_of, smtp_client, start_program_loop


def check_password(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
    return AuthResult(success=(auth.login, auth.password) == (b"me", b"secret"))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def contexts(ca: trustme.CA) -> Any:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return server_context, client_context


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_after_starttls(make_server: Any, contexts: Any, mechanism: str) -> None:
    server_context, client_context = contexts
    server = make_server(Recorder, tls_context=server_context, authenticator=check_password)
    with smtp_client(server) as client:
        client.ehlo()
        assert not client.has_extn("auth"), "AUTH is offered only after STARTTLS"
        assert client.docmd("AUTH", "PLAIN")[0] == 538
        client.starttls(context=client_context)
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["LOGIN", "PLAIN"]
        client.user, client.password = "me", "secret"
        method = {"PLAIN": client.auth_plain, "LOGIN": client.auth_login}[mechanism]
        assert client.auth(mechanism, method, initial_response_ok=False)[0] == 235
        assert client.docmd("AUTH", "PLAIN")[0] == 503
        client.sendmail("a@b.c", ["d@e.f"], "authed")
    assert len(server.calls) == 1


def test_failed_auth_is_logged_without_the_password(
    make_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = make_server(Recorder, authenticator=check_password, auth_require_tls=False)
    with caplog.at_level(logging.DEBUG, logger="smtpd_compat"):
        with smtp_client(server) as client:
            client.ehlo()
            with pytest.raises(smtplib.SMTPAuthenticationError):
                client.login("me", "hunter2")
            assert client.login("me", "secret")[0] == 235
    assert "AUTH PLAIN failed for 'me'" in caplog.text
    assert "hunter2" not in caplog.text and "aHVudGVyMg" not in caplog.text


def test_auth_exchange_errors(make_server: Any, raw: Any) -> None:
    server = make_server(Recorder, authenticator=check_password, auth_require_tls=False)
    client = raw(server)
    client.reply()
    assert client.command(b"AUTH PLAIN").startswith(b"503")  # before EHLO
    client.command(b"EHLO x")
    assert client.command(b"AUTH CRAM-MD5") == b"504 5.5.4 Unrecognized authentication type\r\n"
    assert client.command(b"AUTH PLAIN") == b"334 \r\n"
    assert client.command(b"*") == b"501 5.7.0 Auth aborted\r\n"
    assert client.command(b"AUTH PLAIN !!!") == b"501 5.5.2 Can't decode base64\r\n"
    assert client.command(b"AUTH LOGIN") == b"334 VXNlcm5hbWU6\r\n"
    assert client.command(base64.b64encode(b"me")) == b"334 UGFzc3dvcmQ6\r\n"
    assert client.command(base64.b64encode(b"secret")) == b"235 2.7.0 Authentication successful\r\n"


def test_auth_required_rejects_mail_before_auth(make_server: Any) -> None:
    server = make_server(
        Recorder, authenticator=check_password, auth_required=True, auth_require_tls=False
    )
    with smtp_client(server) as client:
        client.ehlo()
        assert client.mail("a@b.c") == (530, b"5.7.0 Authentication required")
        client.login("me", "secret")
        assert client.sendmail("a@b.c", ["d@e.f"], "ok") == {}


def test_no_auth_configured_means_legacy_reply(recorder: Recorder) -> None:
    with smtp_client(recorder) as client:
        client.ehlo()
        assert not client.has_extn("auth")
        assert client.docmd("AUTH", "PLAIN") == (500, b'Error: command "AUTH" not recognized')


def test_credentials_file_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_server: Any
) -> None:
    hashed = bcrypt.hashpw(b"secret", bcrypt.gensalt(rounds=4))
    path = tmp_path / "users"
    path.write_bytes(b"# comment\nme:" + hashed + b"\n")
    monkeypatch.setenv("SMTPD_COMPAT_AUTH_FILE", str(path))
    monkeypatch.setenv("SMTPD_COMPAT_AUTH_ALLOW_PLAINTEXT", "1")
    server = make_server(Recorder)
    with smtp_client(server) as client:
        client.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("me", "wrong")
        assert client.login("me", "secret")[0] == 235


def test_passwords_longer_than_bcrypt_reads_are_refused(tmp_path: Path, make_server: Any) -> None:
    """bcrypt 4 matched them on their first 72 bytes, bcrypt 5 raises: 535 with both."""
    password = b"p" * 72
    path = tmp_path / "users"
    path.write_bytes(b"me:" + bcrypt.hashpw(password, bcrypt.gensalt(rounds=4)) + b"\n")
    server = make_server(Recorder, auth_file=str(path), auth_require_tls=False)
    with smtp_client(server) as client:
        client.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login("me", (password + b"extra").decode())
        assert refused.value.smtp_code == 535
        assert client.login("me", password.decode())[0] == 235


def test_credentials_file_rejects_plaintext_passwords(tmp_path: Path) -> None:
    path = tmp_path / "users"
    path.write_text("me:secret\n")
    with pytest.raises(ValueError, match="users:1: expected 'user:<bcrypt hash>'"):
        Recorder(("127.0.0.1", 0), None, auth_file=str(path))


def test_auth_required_without_credentials_is_an_error() -> None:
    with pytest.raises(ValueError, match="auth_required needs"):
        Recorder(("127.0.0.1", 0), None, auth_required=True)


@pytest.mark.parametrize(
    "header, peer",
    [
        (b"PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n", ("203.0.113.7", 40000)),
        (b"PROXY TCP6 2001:db8::7 2001:db8::1 40001 25\r\n", ("2001:db8::7", 40001, 0, 0)),
        (
            b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c"  # v2, PROXY, TCP over IPv4
            + bytes([198, 51, 100, 9, 192, 0, 2, 1])
            + (40002).to_bytes(2, "big")
            + (25).to_bytes(2, "big"),
            ("198.51.100.9", 40002),
        ),
    ],
)
def test_proxy_protocol_gives_the_real_peer(
    make_server: Any, raw: Any, header: bytes, peer: Any
) -> None:
    server = make_server(Recorder, proxy_protocol=True)
    client = raw(server)
    client.send(header + b"HELO x\r\n")
    assert client.reply().startswith(b"220 ")
    assert client.reply().startswith(b"250 ")
    for line in (b"MAIL FROM:<a@b.c>", b"RCPT TO:<d@e.f>", b"DATA"):
        client.command(line)
    assert client.command(b"hi\r\n.") == b"250 OK\r\n"
    (args, _), = server.calls
    assert args[0] == peer


def test_proxy_protocol_rejects_a_missing_header(make_server: Any, raw: Any) -> None:
    server = make_server(Recorder, proxy_protocol=True)
    client = raw(server)
    client.send(b"HELO x\r\n")
    assert client.at_eof()


def test_one_log_line_per_transaction(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="smtpd_compat"):
        with smtp_client(recorder) as client:
            client.sendmail("a@b.c", ["d@e.f", "g@h.i"], "Subject: secret body\r\n\r\nxyz")
    lines = [r.getMessage() for r in caplog.records if "from=<" in r.getMessage()]
    assert len(lines) == 1
    assert "from=<a@b.c> rcpts=2 size=25 result=250 duration=" in lines[0]
    assert "secret body" not in caplog.text


class Slow(Recorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        super().__init__(*args, **kwargs)

    def process_message(self, *args: Any, **kwargs: Any) -> Optional[str]:
        self.entered.set()
        self.release.wait(TIMEOUT)
        return super().process_message(*args, **kwargs)


def test_close_drains_a_running_message_and_421s_idle_sessions(raw: Any) -> None:
    server = Slow(("127.0.0.1", 0), None)
    loop = start_program_loop(server._map)
    idle = raw(server)
    idle.reply()
    busy = raw(server)
    busy.reply()
    for line in (b"HELO x", b"MAIL FROM:<a@b.c>", b"RCPT TO:<d@e.f>", b"DATA"):
        busy.command(line)
    busy.send(b"in flight\r\n.\r\n")
    assert server.entered.wait(TIMEOUT)
    closer = threading.Thread(target=server.close)
    closer.start()
    assert idle.reply() == b"421 Service shutting down and closing transmission channel\r\n"
    server.release.set()
    closer.join(TIMEOUT)
    assert not closer.is_alive()
    assert busy.reply() == b"250 OK\r\n", "the accepted message got its reply"
    assert busy.reply().startswith(b"421 ")
    assert len(server.calls) == 1
    loop.join(TIMEOUT)


def test_close_from_two_threads(recorder: Recorder) -> None:
    threads = [threading.Thread(target=recorder.close) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    leftovers: List[str] = [
        t.name for t in threading.enumerate() if t.name.startswith("smtpd_compat-worker")
    ]
    assert leftovers == []
    _ = port_of, smtpd_compat
