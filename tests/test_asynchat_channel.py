"""SMTPChannel is an ``asynchat.async_chat`` in both of its modes (issue 9).

*Direct*: built on a socket object, as unit tests of custom channels do, it is a
plain async_chat: it joins the map it is given, reads with ``recv`` in
``handle_read``, writes with ``send``, and calls ``process_message`` inside
``found_terminator``. *Bridged*: built by the engine, it joins no asyncore map,
and async_chat's methods called unbound reach the engine's connection.
"""

from __future__ import annotations

import select
import socket
import subprocess
import sys
import threading
import time
import warnings
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import smtpd_compat
from smtp_helpers import TIMEOUT, RawClient, Recorder
from smtpd_compat import _channel

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import asynchat
    import asyncore

FQDN = socket.getfqdn()
BANNER = ("220 %s Python SMTP proxy version 0.3\r\n" % FQDN).encode()


@pytest.fixture
def pair() -> Iterator[Tuple[socket.socket, socket.socket]]:
    """A connected TCP pair on 127.0.0.1: (the server side, the client side)."""
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname(), timeout=TIMEOUT)
    server_side, _ = listener.accept()
    listener.close()
    client.settimeout(TIMEOUT)
    yield server_side, client
    server_side.close()
    client.close()


def read_reply(client: socket.socket) -> bytes:
    """What the channel sent (a whole reply: the tests' replies are one line)."""
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = client.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def serve(channel_map: Dict[int, Any], client: socket.socket, line: bytes) -> bytes:
    """Send a command and run the program's loop until the reply has been sent."""
    client.sendall(line + b"\r\n")
    asyncore.loop(timeout=TIMEOUT, map=channel_map, count=1)
    return read_reply(client)


def test_a_direct_channel_is_a_plain_async_chat(
    recorder: Recorder, pair: Tuple[socket.socket, socket.socket]
) -> None:
    sock, client = pair
    channel_map: Dict[int, Any] = {}
    channel = smtpd_compat.SMTPChannel(recorder, sock, sock.getpeername(), map=channel_map)
    assert isinstance(channel, asynchat.async_chat)
    assert isinstance(channel, asyncore.dispatcher)
    assert channel_map == {sock.fileno(): channel}
    assert channel.socket is sock and channel.conn is sock
    assert read_reply(client) == BANNER
    assert serve(channel_map, client, b"HELO me") == ("250 %s\r\n" % FQDN).encode()
    for line in (b"MAIL FROM:<a@example.com>", b"RCPT TO:<b@example.com>"):
        assert serve(channel_map, client, line) == b"250 OK\r\n"
    assert serve(channel_map, client, b"DATA").startswith(b"354 ")
    assert serve(channel_map, client, b"Subject: t\r\n\r\nbody\r\n.") == b"250 OK\r\n"
    # process_message ran inside the loop call, on this thread, as legacy did.
    assert recorder.threads == [threading.current_thread().name]
    (args, kwargs) = recorder.calls[0]
    assert args[1:] == ("a@example.com", ["b@example.com"], b"Subject: t\n\nbody")
    assert kwargs == {"mail_options": [], "rcpt_options": []}
    assert serve(channel_map, client, b"QUIT") == b"221 Bye\r\n"
    asyncore.loop(timeout=TIMEOUT, map=channel_map, count=1)  # the write event closes it
    assert channel_map == {}
    assert client.recv(1) == b""


def test_a_direct_channel_joins_the_default_map(
    recorder: Recorder, pair: Tuple[socket.socket, socket.socket]
) -> None:
    sock, client = pair
    channel = smtpd_compat.SMTPChannel(recorder, sock, sock.getpeername())
    try:
        assert asyncore.socket_map.get(sock.fileno()) is channel
    finally:
        channel.close()
    assert sock.fileno() == -1  # async_chat closed the socket itself


class Failing(Recorder):
    def process_message(self, *args: Any, **kwargs: Any) -> Optional[str]:
        raise KeyError("from process_message")


def test_exceptions_propagate_out_of_handle_read(
    make_server: Any, pair: Tuple[socket.socket, socket.socket]
) -> None:
    server = make_server(Failing)
    sock, client = pair
    channel = smtpd_compat.SMTPChannel(server, sock, sock.getpeername(), map={})
    read_reply(client)
    client.sendall(b"HELO me\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nx\r\n.\r\n")
    deadline = time.monotonic() + TIMEOUT
    with pytest.raises(KeyError, match="from process_message"):
        while time.monotonic() < deadline:  # one recv() may not hold all of it
            select.select([sock], [], [], TIMEOUT)
            channel.handle_read()


def test_a_direct_channel_offers_no_starttls_or_auth(
    make_server: Any, pair: Tuple[socket.socket, socket.socket]
) -> None:
    server = make_server(Recorder, authenticator=lambda *args: True, auth_require_tls=False)
    sock, client = pair
    channel_map: Dict[int, Any] = {}
    smtpd_compat.SMTPChannel(server, sock, sock.getpeername(), map=channel_map)
    read_reply(client)
    reply = serve(channel_map, client, b"EHLO me")
    while not reply.endswith(b"250 HELP\r\n"):
        reply += read_reply(client)
    assert b"AUTH" not in reply and b"STARTTLS" not in reply
    for command in (b"AUTH PLAIN AGFAYg==", b"STARTTLS"):
        name = command.split()[0].decode()
        expected = '500 Error: command "%s" not recognized\r\n' % name
        assert serve(channel_map, client, command) == expected.encode()


# -- bridged channels ----------------------------------------------------------------


class Kept(smtpd_compat.SMTPChannel):
    """Keeps itself on the server, and exposes async_chat called unbound."""

    def __init__(self, server: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(server, *args, **kwargs)
        server.channels.append(self)

    def smtp_XTERM(self, arg: Optional[str]) -> None:
        asynchat.async_chat.set_terminator(self, b"\r\n")
        term = asynchat.async_chat.get_terminator(self)
        asynchat.async_chat.push(self, b"250 terminator %r\r\n" % term)

    def smtp_XSEND(self, arg: Optional[str]) -> None:
        asyncore.dispatcher.send(self, b"250 sent by dispatcher.send\r\n")

    def smtp_XCLOSE(self, arg: Optional[str]) -> None:
        asynchat.async_chat.push(self, b"221 closing\r\n")
        asyncore.dispatcher.close(self)

    def smtp_XQUIT(self, arg: Optional[str]) -> None:
        self.push("221 Bye")
        asynchat.async_chat.close_when_done(self)

    def smtp_XDISCARD(self, arg: Optional[str]) -> None:
        asynchat.async_chat.discard_buffers(self)  # what was pipelined after it is gone
        self.push("250 discarded")


class KeepingServer(Recorder):
    channel_class = Kept

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.channels: List[Kept] = []
        super().__init__(*args, **kwargs)


@pytest.fixture
def kept(make_server: Any, raw: Any) -> Tuple[KeepingServer, RawClient]:
    server = make_server(KeepingServer)
    client = raw(server)
    assert client.reply() == BANNER
    return server, client


def test_a_bridged_channel_joins_no_asyncore_map(kept: Tuple[KeepingServer, RawClient]) -> None:
    server, client = kept
    assert client.command(b"NOOP") == b"250 OK\r\n"
    (channel,) = server.channels
    assert isinstance(channel, asynchat.async_chat)
    assert channel not in asyncore.socket_map.values()
    assert channel not in server._map.values()
    assert not channel.readable() and not channel.writable()
    assert channel._fileno is None


def test_async_chat_called_unbound_reaches_the_connection(
    kept: Tuple[KeepingServer, RawClient],
) -> None:
    _, client = kept
    assert client.command(b"XTERM") == b"250 terminator b'\\r\\n'\r\n"
    assert client.command(b"XSEND") == b"250 sent by dispatcher.send\r\n"
    client.send(b"XDISCARD\r\nHELP\r\n")  # one segment: read at once
    assert client.reply() == b"250 discarded\r\n"
    assert client.command(b"NOOP") == b"250 OK\r\n"  # no reply to the discarded HELP
    assert client.command(b"XQUIT") == b"221 Bye\r\n"
    assert client.at_eof()


def test_dispatcher_close_called_unbound_closes_the_connection(
    kept: Tuple[KeepingServer, RawClient],
) -> None:
    _, client = kept
    assert client.command(b"XCLOSE") == b"221 closing\r\n"
    assert client.at_eof()


def test_a_set_terminator_override_drives_the_splitting(make_server: Any, raw: Any) -> None:
    class Counted(smtpd_compat.SMTPChannel):
        """Reads the body as fixed-size records, as asynchat allows."""

        def smtp_XREAD(self, arg: Optional[str]) -> None:
            self.smtp_state = "RECORD"
            self.set_terminator(int(arg or "0"))
            self.push("354 send %s bytes" % arg)

        def found_terminator(self) -> None:
            if self.smtp_state != "RECORD":
                super().found_terminator()
                return
            record = self._emptystring.join(self.received_lines)
            self.received_lines = []
            self.smtp_state = self.COMMAND
            self.set_terminator(b"\r\n")
            self.push("250 got %r" % record)

    server = make_server(Recorder)
    server.channel_class = Counted
    client = raw(server)
    client.reply()
    assert client.command(b"XREAD 7").startswith(b"354 ")
    client.send(b"ab\r\n")
    client.send(b"cdeNOOP\r\n")
    assert client.reply() == b"250 got b'ab\\r\\ncde'\r\n"
    assert client.reply() == b"250 OK\r\n"


# -- the banner's host name ------------------------------------------------------------


def test_the_fqdn_is_resolved_once(
    recorder: Recorder, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stdlib getfqdn runs once per process: a slow resolver stalls nothing later."""
    lookups: List[str] = []

    def gethostbyaddr(name: str) -> Tuple[str, List[str], List[str]]:
        lookups.append(name)
        return "resolved-once.example", [], []

    monkeypatch.setattr(_channel, "_fqdn", [])  # as if no channel had been made yet
    monkeypatch.setattr(socket, "gethostbyaddr", gethostbyaddr)  # what getfqdn calls
    banner = b"220 resolved-once.example Python SMTP proxy version 0.3\r\n"
    assert raw(recorder).reply() == banner
    assert raw(recorder).reply() == banner
    assert len(lookups) == 1


def test_a_replaced_getfqdn_is_honoured(
    recorder: Recorder, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "getfqdn", lambda: "patched.example")
    assert raw(recorder).reply() == b"220 patched.example Python SMTP proxy version 0.3\r\n"


def test_the_package_socket_module_is_honoured(
    recorder: Recorder, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class FakeSocketModule:
        @staticmethod
        def getfqdn() -> str:
            return "package.example"

    monkeypatch.setattr(smtpd_compat, "socket", FakeSocketModule, raising=False)
    assert raw(recorder).reply() == b"220 package.example Python SMTP proxy version 0.3\r\n"


def test_a_send_override_taking_part_of_the_data_loses_nothing(make_server: Any, raw: Any) -> None:
    """async_chat keeps what ``send`` did not take and sends it next."""

    class Trickle(smtpd_compat.SMTPChannel):
        def send(self, data: bytes) -> int:
            sent: int = asyncore.dispatcher.send(self, data[:5])
            return sent

    server = make_server(Recorder)
    server.channel_class = Trickle
    client = raw(server)
    assert client.reply() == BANNER
    assert client.command(b"EHLO me").endswith(b"250 HELP\r\n")
    assert client.command(b"QUIT") == b"221 Bye\r\n"
    assert client.at_eof()


WITHOUT_ASYNCHAT = """
import smtplib, socket, sys, threading
sys.modules["asynchat"] = None  # neither the stdlib module nor the backport importable
import smtpd_compat
from smtpd_compat import _chat

class Sink(smtpd_compat.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        self.got = (mailfrom, rcpttos, data)

server = Sink(("127.0.0.1", 0), None)
loop = threading.Thread(target=smtpd_compat.loop, kwargs={"timeout": 10})
loop.start()
try:
    assert _chat.ChatBase is _chat.SocketlessChat
    port = server.socket.getsockname()[1]
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail("a@example.com", ["b@example.com"], "Subject: t\\r\\n\\r\\nhi\\r\\n")
    assert server.got == ("a@example.com", ["b@example.com"], b"Subject: t\\n\\nhi"), server.got
    one, other = socket.socketpair()
    try:
        smtpd_compat.SMTPChannel(server, one, None)
    except RuntimeError as exc:
        assert "pip install pyasynchat" in str(exc), exc
    else:
        raise AssertionError("a channel on a socket needs asynchat")
finally:
    server.close()
    loop.join(10)
"""


def test_without_asynchat_the_engine_still_serves() -> None:
    """Where no asynchat can be imported (backport uninstalled), served channels work,
    and a channel on a socket says what is missing."""
    result = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", WITHOUT_ASYNCHAT],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
