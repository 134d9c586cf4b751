"""Hostile input (issue 6): SMTP smuggling, STARTTLS command injection, over-long
lines, oversized messages, NUL bytes, invalid UTF-8, binary garbage, command
floods, and bounded memory under a 100 MB body.

Expected bytes are the legacy (3.11 ``smtpd``) replies unless a test says it pins
one of the deliberate differences (451 where legacy crashed, command state after
552). ``process_message`` data is checked against :func:`attack_support.legacy_data`,
a model of legacy unstuffing written independently of the engine.
"""

from __future__ import annotations

import random
import ssl
import sys
import time
from typing import Any, Iterator, List

import pytest

import smtpd_compat
from attack_support import (
    END,
    NEED_MAIL,
    OK,
    R354,
    R451,
    SIZE_EXCEEDED,
    TOO_LONG,
    TOO_MUCH,
    Client,
    PlainRecorder,
    legacy_data,
    proc_status,
    served,
)

SMUGGLED = (
    b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n"
    b"Subject: spoofed\r\n\r\nsmuggled\r\n"
)
# Line endings that some MTA somewhere took for the end of DATA; only CRLF.CRLF is.
BOGUS_TERMINATORS = [
    b"\n.\n",
    b"\r.\n",
    b"\n.\r\n",
    b"\r\n.\r",
    b"\r\n.\n",
    b"\n.\r",
    b"\r.\r",
    b"\r.\r\n",
    b"\n\n.\n\n",
    b"\r\r.\r\r",
    b"\r\n.\r\r\n",
    b"\r\n.\n\r\n",
    b"\r\n. \r\n",
    b"\r\n.\x00\r\n",
    b"\r\n..\r\n",
    b"\n\r.\r\n",
]


def smuggling_body(bogus: bytes) -> bytes:
    body = b"Subject: s\r\n\r\nhello" + bogus + SMUGGLED + END
    assert body.index(END) == len(body) - len(END), "the bogus ending is a real one"
    return body


@pytest.fixture
def server(make_server: Any) -> PlainRecorder:
    made: PlainRecorder = make_server(PlainRecorder)
    return made


@pytest.fixture
def clients() -> Iterator[List[Client]]:
    opened: List[Client] = []
    yield opened
    for client in opened:
        client.close()


def connect(server: Any, clients: List[Client], banner: bool = True) -> Client:
    client = Client.of(server, banner)
    clients.append(client)
    return client


# -- SMTP smuggling (CVE-2024-27305 class) ---------------------------------------


@pytest.mark.parametrize("bogus", BOGUS_TERMINATORS, ids=repr)
def test_only_crlf_dot_crlf_ends_data(server: PlainRecorder, clients: Any, bogus: bytes) -> None:
    client = connect(server, clients)
    client.envelope()
    body = smuggling_body(bogus)
    client.send(body)
    assert client.reply() == OK
    # The smuggled MAIL was never a command: the session has no sender now.
    assert client.command(b"RCPT TO:<b@example.com>") == NEED_MAIL
    assert server.calls == [legacy_data(body)]
    assert b"smuggled" in server.calls[0]


@pytest.mark.parametrize("bogus", BOGUS_TERMINATORS, ids=repr)
def test_smuggling_split_at_every_offset(server: PlainRecorder, clients: Any, bogus: bytes) -> None:
    """One pipelined transaction per split offset: the body in two writes."""
    client = connect(server, clients)
    assert client.command(b"EHLO client.example").startswith(b"250-")
    body = smuggling_body(bogus)
    envelope = b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
    for offset in range(1, len(body)):
        client.send(envelope + body[:offset])
        client.send(body[offset:])
        assert client.replies(4) == OK + OK + R354 + OK, offset
    assert server.calls == [legacy_data(body)] * (len(body) - 1)


def test_smuggling_byte_by_byte(server: PlainRecorder, clients: Any) -> None:
    client = connect(server, clients)
    client.envelope()
    body = smuggling_body(b"\n.\r\n")
    for byte in body:
        client.send(bytes([byte]))
    assert client.reply() == OK
    assert client.command(b"RCPT TO:<b@example.com>") == NEED_MAIL
    assert server.calls == [legacy_data(body)]


def test_smuggling_with_decode_data(make_server: Any, clients: Any) -> None:
    server = make_server(PlainRecorder, decode_data=True)
    client = connect(server, clients)
    client.envelope(b"HELO client.example")
    body = smuggling_body("\n.\r\nnaïve\r.\n".encode())
    client.send(body)
    assert client.reply() == OK
    assert client.command(b"RCPT TO:<b@example.com>") == NEED_MAIL
    assert server.calls == [legacy_data(body).decode("utf-8")]


def test_legacy_data_model() -> None:
    """The model itself, on the README's example and the corner cases."""
    assert legacy_data(b"Subject: t\r\n\r\nline1\r\n..dotline\r\nlast\r\n.\r\n") == (
        b"Subject: t\n\nline1\n.dotline\nlast"
    )
    assert legacy_data(b"\r\n.\r\n") == b""
    assert legacy_data(b".\r\n.\r\n") == b""
    assert legacy_data(b"a\nb\rc\r\n.\r\n") == b"a\nb\rc"


# -- STARTTLS command injection (CVE-2024-34083 class) ---------------------------


def tls_upgrade(client: Client, context: ssl.SSLContext) -> None:
    assert client.buffer == b"", "plaintext after the 220 reply to STARTTLS"
    client.sock = context.wrap_socket(client.sock, server_hostname="127.0.0.1")


INJECTIONS = {
    "commands": b"EHLO evil.example\r\nMAIL FROM:<evil@example.com>\r\n"
    b"RCPT TO:<victim@example.com>\r\nNOOP\r\nRSET\r\n",
    "transaction": SMUGGLED + b".\r\nQUIT\r\n",
    "greeting": b"EHLO evil.example\r\n",
}


@pytest.mark.parametrize("injected", sorted(INJECTIONS))
def test_plaintext_pipelined_after_starttls_is_discarded(
    make_server: Any, clients: Any, tls_contexts: Any, injected: str
) -> None:
    server_context, client_context = tls_contexts
    server = make_server(PlainRecorder, tls_context=server_context)
    client = connect(server, clients)
    assert client.command(b"EHLO client.example").endswith(b"250 STARTTLS\r\n")
    client.send(b"STARTTLS\r\n" + INJECTIONS[injected])
    assert client.reply() == b"220 Ready to start TLS\r\n"
    tls_upgrade(client, client_context)
    # Not "503 Duplicate HELO/EHLO": the injected EHLO never ran.
    assert client.command(b"EHLO client.example").startswith(b"250-")
    # Not "503 nested MAIL": the injected MAIL never ran.
    assert client.command(b"RCPT TO:<b@example.com>") == NEED_MAIL
    client.envelope(b"NOOP")
    client.send(b"over tls\r\n.\r\n")
    assert client.reply() == OK
    assert server.calls == [b"over tls"]


@pytest.mark.parametrize("cut", [b"STARTTLS\r", b"STARTTLS\r\nMAIL FR", b"STARTTLS\r\n"])
def test_injection_split_across_packets(
    make_server: Any, clients: Any, tls_contexts: Any, cut: bytes
) -> None:
    """The injected part arrives in a later packet, before the client reads 220.

    It lands either in the plaintext buffer (discarded) or in the TLS handshake
    (which then fails): never as a command."""
    server_context, client_context = tls_contexts
    server = make_server(PlainRecorder, tls_context=server_context)
    client = connect(server, clients)
    client.command(b"EHLO client.example")
    whole = b"STARTTLS\r\n" + SMUGGLED + b".\r\n"
    client.send(cut)
    client.send(whole[len(cut) :])
    assert client.reply() == b"220 Ready to start TLS\r\n"
    try:
        tls_upgrade(client, client_context)
        client.command(b"EHLO client.example")
        handshake = True
    except (ssl.SSLError, ConnectionError, OSError):
        handshake = False
    if handshake:
        assert client.command(b"RCPT TO:<b@example.com>") == NEED_MAIL
    assert server.calls == []
    assert served(server)
    assert server.calls == [b"still serving"]


def test_require_starttls_refuses_injected_transaction(
    make_server: Any, clients: Any, tls_contexts: Any
) -> None:
    server_context, client_context = tls_contexts
    server = make_server(PlainRecorder, tls_context=server_context, require_starttls=True)
    client = connect(server, clients)
    client.send(b"EHLO x\r\n" + SMUGGLED + b".\r\nSTARTTLS\r\n" + SMUGGLED + b".\r\n")
    replies = client.replies(8)
    refused = b"530 Must issue a STARTTLS command first\r\n"
    # MAIL, RCPT, DATA refused; the body lines are unknown commands or refused.
    assert replies.count(refused) >= 3
    assert client.reply() == b"220 Ready to start TLS\r\n"
    tls_upgrade(client, client_context)
    assert client.command(b"EHLO x").startswith(b"250-")
    assert client.command(b"RCPT TO:<b@example.com>") == NEED_MAIL
    assert server.calls == []


# -- over-long lines ---------------------------------------------------------------


def mail_line(length: int) -> bytes:
    line = b"MAIL FROM:<" + b"a" * (length - 24) + b"@example.com>"
    assert len(line) == length
    return line


@pytest.mark.parametrize(
    "kwargs, greet, limit",
    [
        ({}, b"HELO x", 512),
        ({}, b"EHLO x", 512 + 26),
        ({"enable_SMTPUTF8": True}, b"EHLO x", 512 + 26 + 10),
        ({"data_size_limit": 0}, b"EHLO x", 512),
        ({"decode_data": True}, b"EHLO x", 512 + 26),
    ],
)
def test_mail_line_limit(
    make_server: Any, clients: Any, kwargs: Any, greet: bytes, limit: int
) -> None:
    server = make_server(PlainRecorder, **kwargs)
    client = connect(server, clients)
    assert client.command(greet).startswith(b"250")
    assert client.command(mail_line(limit)) == OK
    assert client.command(b"RSET") == OK
    assert client.command(mail_line(limit + 1)) == TOO_LONG
    assert client.command(b"NOOP") == OK


def test_other_command_limits(server: PlainRecorder, clients: Any) -> None:
    client = connect(server, clients)
    assert client.command(b"NOOP " + b"x" * 507) == b"501 Syntax: NOOP\r\n"
    assert client.command(b"NOOP " + b"x" * 508) == TOO_LONG
    assert client.command(b"EHLO x").startswith(b"250-")
    assert client.command(b"MAIL FROM:<a@example.com>") == OK
    rcpt = b"RCPT TO:<" + b"b" * 490 + b"@example.com>"
    assert client.command(rcpt[:512]) != TOO_LONG
    assert client.command(rcpt + b"x" * (513 - len(rcpt))) == TOO_LONG
    assert client.command(b"X" * 513) == TOO_LONG
    assert (
        client.command(b"X" * 512) == b'500 Error: command "' + b"X" * 512 + b'" not recognized\r\n'
    )


def test_huge_command_line_is_refused_and_forgotten(server: PlainRecorder, clients: Any) -> None:
    client = connect(server, clients)
    chunk = b"Z" * 65536
    for _ in range(80):  # 5 MiB without a line end
        client.send(chunk)
    assert client.command(b"") == TOO_LONG
    assert client.command(b"NOOP") == OK
    assert served(server)


def test_long_body_lines_are_accepted(server: PlainRecorder, clients: Any) -> None:
    """Legacy took body lines of any length within data_size_limit."""
    client = connect(server, clients)
    client.envelope()
    body = b"Subject: long\r\n\r\n" + b"y" * (3 << 20) + b"\r\n." + b"z" * 70000 + END
    client.send(body)
    assert client.reply() == OK
    assert server.calls == [legacy_data(body)]


# -- sizes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size, reply",
    [
        (b"33554432", OK),
        (b"33554433", SIZE_EXCEEDED),
        (b"9" * 400, SIZE_EXCEEDED),
        (b"0", OK),
        (b"-1", b"501 Syntax: MAIL FROM: <address> [SP <mail-parameters>]\r\n"),
        (b"1e9", b"501 Syntax: MAIL FROM: <address> [SP <mail-parameters>]\r\n"),
        ("١٢٣".encode(), OK),  # Arabic-Indic digits: int() takes them, as legacy did
        ("²".encode(), R451),  # isdigit() but int() fails: legacy crashed
    ],
)
def test_size_parameter(server: PlainRecorder, clients: Any, size: bytes, reply: bytes) -> None:
    client = connect(server, clients)
    client.command(b"EHLO x")
    assert client.command(b"MAIL FROM:<a@example.com> SIZE=" + size) == reply
    assert client.command(b"NOOP") == OK


def test_body_over_the_limit_then_command_state(make_server: Any, clients: Any) -> None:
    server = make_server(PlainRecorder, 1000)
    client = connect(server, clients)
    client.envelope()
    body = b"Subject: big\r\n\r\n" + b"line of text\r\n" * 5000
    client.send(body + END + b"NOOP\r\nMAIL FROM:<c@example.com>\r\n")
    assert client.replies(3) == TOO_MUCH + OK + OK
    client.send(b"RCPT TO:<d@example.com>\r\nDATA\r\nsmall\r\n.\r\n")
    assert client.replies(3) == OK + R354 + OK
    assert server.calls == [b"small"]


def test_body_exactly_at_and_over_the_limit(make_server: Any, clients: Any) -> None:
    server = make_server(PlainRecorder, 100)
    client = connect(server, clients)
    client.envelope()
    client.send(b"x" * 100 + END)  # 100 bytes of body: at the limit
    assert client.reply() == OK
    client.envelope(b"NOOP")
    client.send(b"x" * 101 + END)
    assert client.reply() == TOO_MUCH
    assert server.calls == [b"x" * 100]


# -- NUL bytes, invalid UTF-8, garbage -----------------------------------------------


def test_nul_bytes(server: PlainRecorder, clients: Any) -> None:
    client = connect(server, clients)
    assert client.command(b"NO\x00OP") == b'500 Error: command "NO\x00OP" not recognized\r\n'
    assert client.command(b"\x00") == b'500 Error: command "\x00" not recognized\r\n'
    assert client.command(b"HELO a\x00b").startswith(b"250 ")
    client.envelope(b"NOOP")
    client.send(b"nul\x00in\x00body\r\n\x00\r\n" + END)
    assert client.reply() == OK
    assert server.calls == [b"nul\x00in\x00body\n\x00\n"]


INVALID_UTF8 = [b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]
MODES = {
    "bytes": {},
    "decode_data": {"decode_data": True},
    "smtputf8": {"enable_SMTPUTF8": True},
}


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("bad", INVALID_UTF8, ids=repr)
def test_invalid_utf8_command_answers_451(
    make_server: Any, clients: Any, mode: str, bad: bytes
) -> None:
    """Legacy crashed (UnicodeDecodeError) and dropped the connection."""
    server = make_server(PlainRecorder, **MODES[mode])
    client = connect(server, clients)
    assert client.command(b"HELO " + bad) == R451
    assert client.command(b"EHLO x").startswith(b"250")
    assert client.command(b"MAIL FROM:<" + bad + b"@example.com>") == R451
    assert client.command(b"RCPT TO:<b@example.com>") == NEED_MAIL
    assert client.command(bad + b"VERB") == R451
    assert client.command(b"NOOP") == OK


@pytest.mark.parametrize("mode", sorted(MODES))
def test_invalid_utf8_body(make_server: Any, clients: Any, mode: str) -> None:
    """Bytes modes deliver the body verbatim; decode_data answers 451 after the
    end of the body and never reads the rest of it as commands."""
    server = make_server(PlainRecorder, **MODES[mode])
    client = connect(server, clients)
    client.envelope()
    body = b"ok\r\n\xff\xfe\r\n" + SMUGGLED + END
    client.send(body)
    if mode == "decode_data":
        assert client.reply() == R451
        assert server.calls == []
    else:
        assert client.reply() == OK
        assert server.calls == [legacy_data(body)]
    assert client.command(b"RCPT TO:<b@example.com>") == NEED_MAIL


@pytest.mark.parametrize("split", [1, 2, 3])
def test_decode_data_invalid_utf8_split_across_reads(
    make_server: Any, clients: Any, split: int
) -> None:
    server = make_server(PlainRecorder, decode_data=True)
    client = connect(server, clients)
    client.envelope()
    bad = b"\xf0\x9f\x98" + b"("  # a 4-byte lead with 2 continuations, then ASCII
    client.send(b"start" + bad[:split])
    client.send(bad[split:] + b"\r\n" + SMUGGLED)
    client.send(END)
    assert client.reply() == R451
    assert client.command(b"RCPT TO:<b@example.com>") == NEED_MAIL
    client.envelope(b"NOOP")
    client.send("fine é\r\n.\r\n".encode())
    assert client.reply() == OK
    assert server.calls == ["fine é"]


@pytest.mark.parametrize(
    "kwargs, setup, data, replies",
    [
        ({}, b"", b"NOOP\r\n\xff\r\nNOOP\r\n", OK + R451 + OK),
        ({}, b"", b"HELO \xc3(\r\nHELO x\r\nQUIT\r\n", R451 + b"250 "),
        (
            {"decode_data": True},
            b"HELO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n",
            b"DATA\r\n\xff\r\n.\r\nNOOP\r\n",
            R354 + R451 + OK,
        ),
        (
            {},
            b"HELO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n",
            b"DATA\r\nbody\r\n.\r\nF\xc3\x96\xc3\x96\r\nNOOP\r\n",
            R354 + OK + R451 + OK,
        ),
    ],
    ids=["noop", "helo", "decode_data_body", "after_a_message"],
)
def test_pipelined_input_after_a_451_is_served(
    make_server: Any, clients: Any, kwargs: Any, setup: bytes, data: bytes, replies: bytes
) -> None:
    server = make_server(PlainRecorder, **kwargs)
    client = connect(server, clients)
    if setup:
        client.send(setup)
        client.replies(setup.count(b"\r\n"))
    client.sock.settimeout(2)  # every reply is due at once: silence means a stall
    client.send(data)
    got = b""
    while len(got) < len(replies):
        got += client.reply()
    assert got.startswith(replies), got


def test_ascii_garbage_then_quit(server: PlainRecorder, clients: Any) -> None:
    rng = random.Random(6)
    client = connect(server, clients)
    alphabet = bytes(range(1, 128))
    garbage = bytes(rng.choice(alphabet) for _ in range(200000))
    for start in range(0, len(garbage), 4096):
        client.send(garbage[start : start + 4096])
    client.send(b"\r\nQUIT\r\n")
    rest = client.rest()
    assert rest.endswith(b"221 Bye\r\n"), rest[-200:]
    for line in rest.split(b"\r\n")[:-1]:
        assert line[:3].isdigit(), line
    assert server.calls == []
    assert served(server)


def test_binary_garbage_then_disconnect(server: PlainRecorder, clients: Any) -> None:
    rng = random.Random(27305)
    for size in (1, 100, 5000, 300000):
        client = connect(server, clients)
        client.send(bytes(rng.getrandbits(8) for _ in range(size)))
        client.close()
    assert served(server)
    assert server.calls == [b"still serving"]


# -- command floods ------------------------------------------------------------------

FLOOD_REPLY = b"421 4.7.0 Too many commands\r\n"


def test_command_flood_is_cut_off(make_server: Any, clients: Any) -> None:
    assert smtpd_compat.SMTPServer.command_limit == 1000
    server = make_server(PlainRecorder, command_limit=20)
    client = connect(server, clients)
    client.send(b"NOOP\r\n" * 20)
    assert client.replies(20) == OK * 20
    client.send(b"NOOP\r\n" * 5)
    assert client.rest() == FLOOD_REPLY
    # A delivered message starts the count again.
    client = connect(server, clients)
    client.send(b"NOOP\r\n" * 14)
    client.replies(14)
    client.envelope(b"EHLO x")  # 4 commands: 18
    client.send(b"m\r\n.\r\n")
    assert client.reply() == OK
    client.send(b"NOOP\r\n" * 20)
    assert client.replies(20) == OK * 20
    assert served(server)


def test_command_flood_default_limit(server: PlainRecorder, clients: Any) -> None:
    client = connect(server, clients)
    client.send(b"NOOP\r\n" * 1000)
    assert client.replies(1000) == OK * 1000
    client.send(b"NOOP\r\n")
    assert client.rest() == FLOOD_REPLY


# -- memory ----------------------------------------------------------------------------


@pytest.fixture
def subprocess_server() -> Iterator[Any]:
    from differential_harness import ServerProcess

    proc = ServerProcess(sys.executable, "plain", "compat")
    yield proc
    proc.stop()


def test_100_mb_body_does_not_grow_the_server_by_100_mb(subprocess_server: Any) -> None:
    pid, port = subprocess_server.proc.pid, subprocess_server.port
    client = Client(port, timeout=60)
    client.reply()
    client.envelope()  # warm up: one session before measuring
    client.send(b"warm\r\n.\r\n")
    assert client.reply() == OK
    before = proc_status(pid, "VmHWM")
    client.envelope(b"NOOP")
    line = b"x" * 998 + b"\r\n"
    chunk = line * 1024  # 1 MiB
    started = time.monotonic()
    for _ in range(100):
        client.send(chunk)
    client.send(END + b"NOOP\r\n")
    assert client.replies(2) == TOO_MUCH + OK
    elapsed = time.monotonic() - started
    growth = proc_status(pid, "VmHWM") - before
    print(f"100 MB body: peak RSS growth {growth >> 20} MiB in {elapsed:.1f} s")
    assert growth < 100 << 20
    client.close()
