"""DebuggingServer prints what the stdlib printed; PureProxy relays with smtplib."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

import smtpd_compat
from smtp_helpers import Recorder, port_of, smtp_client

MESSAGE = "Subject: hello\r\nFrom: a@b.c\r\n\r\nfirst\r\n\r\nsecond\r\n"


def send(server: Any, helo: bool = False) -> None:
    with smtp_client(server) as client:
        if helo:
            client.helo()
        client.sendmail("a@b.c", ["d@e.f"], MESSAGE)


def test_debugging_server_bytes(make_server: Any, capsys: pytest.CaptureFixture) -> None:
    server = make_server(smtpd_compat.DebuggingServer)
    send(server)
    assert capsys.readouterr().out == (
        "---------- MESSAGE FOLLOWS ----------\n"
        "mail options: ['SIZE=%d']\n"
        "b'Subject: hello'\n"
        "b'From: a@b.c'\n"
        "b'X-Peer: 127.0.0.1'\n"
        "b''\n"
        "b'first'\n"
        "b''\n"
        "b'second'\n"
        "------------ END MESSAGE ------------\n" % len(MESSAGE)
    )


def test_debugging_server_str(make_server: Any, capsys: pytest.CaptureFixture) -> None:
    server = make_server(smtpd_compat.DebuggingServer, decode_data=True)
    send(server, helo=True)
    assert capsys.readouterr().out == (
        "---------- MESSAGE FOLLOWS ----------\n"
        "Subject: hello\n"
        "From: a@b.c\n"
        "X-Peer: 127.0.0.1\n"
        "\n"
        "first\n"
        "\n"
        "second\n"
        "------------ END MESSAGE ------------\n"
    )


def test_debugging_server_looks_up_stdout_at_print_time(
    make_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_server(smtpd_compat.DebuggingServer, decode_data=True)
    replacement = io.StringIO()
    monkeypatch.setattr("sys.stdout", replacement)
    send(server)
    assert "X-Peer: 127.0.0.1" in replacement.getvalue()


@pytest.mark.parametrize("decode_data", [False, True])
def test_pure_proxy_relays(make_server: Any, decode_data: bool) -> None:
    # The upstream has a loop of its own: on one shared loop the relay would wait
    # for itself, in legacy as here.
    upstream = make_server(Recorder, map={})
    proxy = make_server(smtpd_compat.PureProxy, decode_data=decode_data)
    proxy._remoteaddr = ("127.0.0.1", port_of(upstream))
    send(proxy)
    ((args, _),) = upstream.calls
    assert args[1:3] == ("a@b.c", ["d@e.f"])
    assert args[3] == (b"Subject: hello\nFrom: a@b.c\nX-Peer: 127.0.0.1\n\nfirst\n\nsecond")


class Refusing(Recorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel_class = RefusingChannel


class RefusingChannel(smtpd_compat.SMTPChannel):
    def smtp_RCPT(self, arg: Any) -> None:
        if "bad" in (arg or ""):
            self.push("550 No such user")
        else:
            super().smtp_RCPT(arg)


def test_pure_proxy_logs_refused_recipients(
    make_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    upstream = make_server(Refusing, map={})
    proxy = make_server(smtpd_compat.PureProxy)
    proxy._remoteaddr = ("127.0.0.1", port_of(upstream))
    with caplog.at_level(logging.WARNING, logger="smtpd_compat"):
        with smtp_client(proxy) as client:
            client.sendmail("a@b.c", ["d@e.f", "bad@e.f"], MESSAGE)
    assert "bad@e.f" in caplog.text and "550" in caplog.text
    assert [args[2] for args, _ in upstream.calls] == [["d@e.f"]]


def test_pure_proxy_refuses_smtputf8() -> None:
    with pytest.raises(ValueError, match="SMTPUTF8"):
        smtpd_compat.PureProxy(("127.0.0.1", 0), None, enable_SMTPUTF8=True)
