"""Legacy SMTPChannel subclasses run unchanged (issue 3)."""

from __future__ import annotations

import base64
import logging
import threading
import warnings
from typing import Any, Dict, List, Optional

import pytest

import smtpd_compat
from smtp_helpers import PROGRAM_LOOP_THREAD, TIMEOUT, Recorder, smtp_client

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import asyncore


class Tracing(smtpd_compat.SMTPChannel):
    """Records the hooks legacy code relies on, and the thread they ran on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.events: List[Any] = []
        super().__init__(*args, **kwargs)

    def collect_incoming_data(self, data: bytes) -> None:
        self.events.append(("collect", data))
        super().collect_incoming_data(data)

    def found_terminator(self) -> None:
        self.events.append(("found", self.smtp_state, threading.current_thread().name))
        super().found_terminator()

    def smtp_XFOO(self, arg: Optional[str]) -> None:
        self.push("250-foo %s\r\n250 bar" % arg)


class TracingServer(Recorder):
    channel_class = Tracing

    def handle_accepted(self, conn: Any, addr: Any) -> None:
        self.channel = self.channel_class(
            self,
            conn,
            addr,
            self.data_size_limit,
            self._map,
            self.enable_SMTPUTF8,
            self._decode_data,
        )


def test_every_line_goes_through_the_hooks(make_server: Any) -> None:
    server = make_server(TracingServer)
    with smtp_client(server) as client:
        client.helo("me")
        assert client.docmd("XFOO", "x") == (250, b"foo x\nbar")
        client.sendmail("a@b.c", ["d@e.f"], "line1\r\nline2\r\n")
    events = server.channel.events
    assert ("collect", b"HELO me") in events or ("collect", b"helo me") in events
    body = [e for e in events if e[0] == "found" and e[1] == smtpd_compat.SMTPChannel.DATA]
    assert len(body) == 1, "the whole body arrives in one found_terminator() call"
    assert ("collect", b"line1\r\nline2") in events
    assert all(e[2] == PROGRAM_LOOP_THREAD for e in events if e[0] == "found")


def test_conn_behaves_like_the_socket(make_server: Any) -> None:
    server = make_server(TracingServer)
    with smtp_client(server) as client:
        client.noop()
        local = client.sock.getsockname()
    channel = server.channel
    assert channel.conn.getpeername() == local == channel.peer == channel.addr
    assert channel.conn.getsockname() == server.socket.getsockname()
    assert channel.smtp_server is server
    # 3.11's deprecated private aliases still work, and still warn.
    with pytest.deprecated_call(match="__server attribute"):
        assert channel._SMTPChannel__server is server
    with pytest.deprecated_call(match="Setting __rcpttos"):
        channel._SMTPChannel__rcpttos = ["x"]
    assert channel.rcpttos == ["x"]


class ExtraArgChannel(smtpd_compat.SMTPChannel):
    def __init__(self, greeting: str, *args: Any, **kwargs: Any) -> None:
        self.greeting = greeting
        super().__init__(*args, **kwargs)

    def smtp_HELO(self, arg: Optional[str]) -> None:
        self.push("250 %s %s" % (self.greeting, arg))
        self.seen_greeting = arg or ""


class ExtraArgServer(Recorder):
    channel_class = ExtraArgChannel

    def handle_accepted(self, conn: Any, addr: Any) -> None:
        self.channel_class("hello", self, conn, addr, decode_data=self._decode_data)


def test_handle_accepted_with_extra_leading_arguments(make_server: Any) -> None:
    server = make_server(ExtraArgServer)
    with smtp_client(server) as client:
        assert client.helo("you") == (250, b"hello you")
        assert client.sendmail("a@b.c", ["d@e.f"], "hi") == {}
    assert len(server.calls) == 1


class Py2Server(Recorder):
    def handle_accept(self) -> None:
        pair = self.accept()
        if pair is not None:
            conn, addr = pair
            ExtraArgChannel("py2", self, conn, addr)


def test_py2_style_handle_accept(make_server: Any) -> None:
    server = make_server(Py2Server)
    with smtp_client(server) as client:
        assert client.helo("you") == (250, b"py2 you")


def test_channel_class_is_read_at_accept_time(make_server: Any) -> None:
    server = make_server(Recorder)
    with smtp_client(server) as client:
        assert client.docmd("XFOO") == (500, b'Error: command "XFOO" not recognized')
    server.channel_class = Tracing
    with smtp_client(server) as client:
        assert client.docmd("XFOO", "y") == (250, b"foo y\nbar")


class AuthChannel(smtpd_compat.SMTPChannel):
    """AUTH PLAIN and LOGIN through a custom state, as test_smtplib's channel does."""

    AUTH = 99

    def found_terminator(self) -> None:
        if self.smtp_state == self.AUTH:
            line = self._emptystring.join(self.received_lines)
            self.received_lines = []
            self.auth_step(line.decode())
            return
        super().found_terminator()

    def smtp_AUTH(self, arg: str) -> None:
        mechanism, _, initial = arg.partition(" ")
        self.smtp_state = self.AUTH
        self.auth_step = getattr(self, "_auth_" + mechanism.lower())
        self.auth_step(initial or None)

    def _done(self, ok: bool) -> None:
        self.smtp_state = self.COMMAND
        self.push("235 Authentication Succeeded" if ok else "535 Bad credentials")

    def _auth_plain(self, arg: Optional[str]) -> None:
        if arg is None:
            self.push("334 ")
            return
        _, user, password = base64.b64decode(arg).decode().split("\0")
        self._done(password == "secret")

    def _auth_login(self, arg: Optional[str]) -> None:
        if arg is None:
            self.push("334 VXNlcm5hbWU6")
        elif not hasattr(self, "user"):
            self.user = arg
            self.push("334 UGFzc3dvcmQ6")
        else:
            self._done(base64.b64decode(arg) == b"secret")

    def smtp_EHLO(self, arg: Optional[str]) -> None:
        self.push("250-test\r\n250 AUTH PLAIN LOGIN")
        self.seen_greeting = arg or ""
        self.extended_smtp = True


class AuthServer(Recorder):
    channel_class = AuthChannel


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_through_a_custom_state(make_server: Any, mechanism: str) -> None:
    server = make_server(AuthServer)
    with smtp_client(server) as client:
        client.ehlo()
        client.user, client.password = "me", "secret"
        method = {"PLAIN": client.auth_plain, "LOGIN": client.auth_login}[mechanism]
        assert client.auth(mechanism, method, initial_response_ok=False)[0] == 235
        assert client.sendmail("a@b.c", ["d@e.f"], "authed") == {}


class Policy(smtpd_compat.SMTPChannel):
    def smtp_MAIL(self, arg: Optional[str]) -> None:
        if arg and "spam" in arg:
            self.push("550 go away")
            return
        super().smtp_MAIL(arg)


class PolicyServer(Recorder):
    channel_class = Policy


def test_policy_override_calling_super(make_server: Any) -> None:
    server = make_server(PolicyServer)
    with smtp_client(server) as client:
        client.ehlo()
        assert client.mail("spam@x.y") == (550, b"go away")
        assert client.mail("ham@x.y") == (250, b"OK")


class Raising(smtpd_compat.SMTPChannel):
    def smtp_XBOOM(self, arg: Optional[str]) -> None:
        self.push("250-about to fail")
        raise RuntimeError("hook failed")


class RaisingServer(Recorder):
    channel_class = Raising


def test_raising_hook_gives_451_and_the_connection_stays(
    make_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = make_server(RaisingServer)
    with caplog.at_level(logging.ERROR, logger="smtpd_compat"):
        with smtp_client(server) as client:
            code, text = client.docmd("XBOOM")
            assert code == 451 and text.startswith(b"about to fail")
            assert client.noop() == (250, b"OK")
    assert "hook failed" in caplog.text


class CustomErrorChannel(Raising):
    def handle_error(self) -> None:
        self.push("421 custom handler")
        self.close_when_done()


class CustomErrorServer(Recorder):
    channel_class = CustomErrorChannel


def test_handle_error_override_is_honoured(make_server: Any) -> None:
    server = make_server(CustomErrorServer)
    with smtp_client(server) as client:
        assert client.docmd("XBOOM") == (421, b"about to fail\ncustom handler")


class QuitExits(smtpd_compat.SMTPChannel):
    def smtp_QUIT(self, arg: Optional[str]) -> None:
        super().smtp_QUIT(arg)
        raise asyncore.ExitNow()


class QuitExitsServer(Recorder):
    channel_class = QuitExits


def test_exitnow_from_a_hook_ends_asyncore_loop() -> None:
    private: Dict[int, Any] = {}
    server = QuitExitsServer(("127.0.0.1", 0), None, map=private)
    outcome: List[str] = []

    def run_loop() -> None:
        try:
            asyncore.loop(timeout=30, map=private)
        except asyncore.ExitNow:
            outcome.append(threading.current_thread().name)

    thread = threading.Thread(target=run_loop, name="the-loop", daemon=True)
    thread.start()
    try:
        with smtp_client(server) as client:
            client.noop()
        thread.join(TIMEOUT)
    finally:
        server.close()
    assert outcome == ["the-loop"]  # raised where the loop runs, as legacy did


class Blocking(smtpd_compat.SMTPChannel):
    release = threading.Event()
    entered = threading.Event()

    def smtp_XWAIT(self, arg: Optional[str]) -> None:
        self.entered.set()
        self.release.wait(TIMEOUT)
        self.push("250 done")


class OneThreadServer(Recorder):
    channel_class = Blocking


def test_hooks_and_process_message_share_one_thread(make_server: Any) -> None:
    server = make_server(OneThreadServer)
    replies: List[Any] = []

    def blocked_client() -> None:
        with smtp_client(server) as client:
            replies.append(client.docmd("XWAIT"))

    thread = threading.Thread(target=blocked_client, daemon=True)
    thread.start()
    assert Blocking.entered.wait(TIMEOUT)
    sender_done = threading.Event()

    def sender() -> None:
        with smtp_client(server) as client:
            client.sendmail("a@b.c", ["d@e.f"], "after")
        sender_done.set()

    threading.Thread(target=sender, daemon=True).start()
    assert not sender_done.wait(0.3), "user code ran while another hook was running"
    assert server.calls == []
    Blocking.release.set()
    thread.join(TIMEOUT)
    assert sender_done.wait(TIMEOUT)
    assert replies == [(250, b"done")] and len(server.calls) == 1
