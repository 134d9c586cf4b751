"""STARTTLS for unchanged programs: keyword argument or environment variables."""

from __future__ import annotations

import smtplib
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest
import trustme

import smtpd_compat
from smtp_helpers import TIMEOUT, Recorder, port_of


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def tls_server(make_server: Any, server_context: ssl.SSLContext) -> Recorder:
    server: Recorder = make_server(Recorder, tls_context=server_context)
    return server


def connect(server: Any) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", port_of(server), timeout=TIMEOUT)


def test_starttls_advertised_and_mail_delivered_over_tls(
    tls_server: Recorder, client_context: ssl.SSLContext
) -> None:
    with connect(tls_server) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        assert client.starttls(context=client_context)[0] == 220
        client.ehlo()
        assert not client.has_extn("starttls")
        assert isinstance(client.sock, ssl.SSLSocket)
        client.sendmail("a@b.c", ["d@e.f"], "secret")
    ((args, _),) = tls_server.calls
    assert args[3] == b"secret"


def test_no_tls_means_legacy_reply(recorder: Recorder) -> None:
    with connect(recorder) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        assert client.docmd("STARTTLS") == (500, b'Error: command "STARTTLS" not recognized')


def test_plaintext_pipelined_after_starttls_is_discarded(
    tls_server: Recorder, client_context: ssl.SSLContext
) -> None:
    with connect(tls_server) as client:
        client.ehlo()
        client.send(b"STARTTLS\r\nMAIL FROM:<evil@x.y>\r\n")
        assert client.getreply()[0] == 220
        client.sock = client_context.wrap_socket(client.sock, server_hostname="127.0.0.1")
        client.file = None
        client.ehlo()
        # The injected MAIL was dropped: a fresh MAIL is not "nested".
        assert client.mail("good@x.y") == (250, b"OK")


def test_require_starttls(
    make_server: Any, server_context: ssl.SSLContext, client_context: ssl.SSLContext
) -> None:
    server = make_server(Recorder, tls_context=server_context, require_starttls=True)
    with connect(server) as client:
        client.ehlo()
        assert client.mail("a@b.c") == (530, b"Must issue a STARTTLS command first")
        client.starttls(context=client_context)
        client.ehlo()
        assert client.sendmail("a@b.c", ["d@e.f"], "ok") == {}


class RewritesEhlo(smtpd_compat.SMTPChannel):
    def smtp_EHLO(self, arg: Any) -> None:
        self.push("250-custom.example\r\n250-XFOO\r\n250 HELP")
        self.seen_greeting = arg
        self.extended_smtp = True


class RewritingServer(Recorder):
    channel_class = RewritesEhlo


def test_starttls_added_to_a_rewritten_ehlo(
    make_server: Any, server_context: ssl.SSLContext, client_context: ssl.SSLContext
) -> None:
    server = make_server(RewritingServer, tls_context=server_context)
    with connect(server) as client:
        code, text = client.ehlo()
        assert text == b"custom.example\nXFOO\nHELP\nSTARTTLS"
        client.starttls(context=client_context)
        assert client.ehlo() == (250, b"custom.example\nXFOO\nHELP")
        client.sendmail("a@b.c", ["d@e.f"], "via subclass")
    assert len(server.calls) == 1


PROGRAM = textwrap.dedent(
    """
    import sys
    import smtpd_compat as smtpd

    class Sink(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            print(data.decode(), flush=True)

    server = Sink(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    smtpd.loop()
    """
)


@pytest.fixture
def cert_files(ca: trustme.CA, tmp_path: Path) -> Iterator[Any]:
    cert = ca.issue_cert("127.0.0.1")
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_path))
    cert.private_key_pem.write_to_path(str(key_path))
    yield cert_path, key_path


def start_program(env: dict) -> subprocess.Popen:
    import os

    return subprocess.Popen(
        [sys.executable, "-c", PROGRAM],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env},
    )


def test_environment_turns_on_starttls_for_an_unedited_program(
    cert_files: Any, client_context: ssl.SSLContext
) -> None:
    cert_path, key_path = cert_files
    proc = start_program(
        {"SMTPD_COMPAT_TLS_CERT": str(cert_path), "SMTPD_COMPAT_TLS_KEY": str(key_path)}
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as client:
            client.starttls(context=client_context)
            client.sendmail("a@b.c", ["d@e.f"], "over tls")
        assert proc.stdout.readline() == b"over tls\n"
    finally:
        proc.kill()
        proc.communicate(timeout=TIMEOUT)


def test_missing_certificate_is_a_clear_error_at_start(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    proc = start_program({"SMTPD_COMPAT_TLS_CERT": str(missing)})
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode != 0 and out == b""
    assert str(missing).encode() in err
