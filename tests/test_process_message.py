"""process_message gets exactly the legacy arguments, off the event loop."""

from __future__ import annotations

import logging
import threading
from typing import Any, List, Optional

import pytest

import smtpd_compat
from smtp_helpers import PROGRAM_LOOP_THREAD, TIMEOUT, Recorder, port_of, smtp_client

BODY = "Subject: t\r\n\r\nline1\r\n.dotline\r\nlast\r\n"


def test_arguments_bytes(recorder: Recorder) -> None:
    with smtp_client(recorder) as client:
        client.ehlo()
        client.sendmail("a@example.com", ["b@example.com", "c@example.com"], BODY)
        local = client.sock.getsockname()
    ((args, kwargs),) = recorder.calls
    assert args == (
        local,
        "a@example.com",
        ["b@example.com", "c@example.com"],
        b"Subject: t\n\nline1\n.dotline\nlast",
    )
    assert kwargs == {"mail_options": ["SIZE=%d" % len(BODY)], "rcpt_options": []}


def test_options_are_legacy_values(recorder: Recorder) -> None:
    with smtp_client(recorder) as client:
        client.ehlo()
        options = ["BODY=8BITMIME", "SIZE=100"]
        client.sendmail("a@example.com", ["b@example.com"], BODY, mail_options=options)
    ((_, kwargs),) = recorder.calls
    assert kwargs == {
        "mail_options": ["SIZE=%d" % len(BODY), "BODY=8BITMIME", "SIZE=100"],
        "rcpt_options": [],
    }


def test_decode_data_gives_utf8_str_and_no_kwargs(make_server: Any) -> None:
    server = make_server(Recorder, decode_data=True)
    with smtp_client(server) as client:
        body = "Subject: é\r\n\r\nnaïve ✓\r\n".encode()
        client.sendmail("a@example.com", ["b@example.com"], body)
    ((args, kwargs),) = server.calls
    assert args[3] == "Subject: é\n\nnaïve ✓"
    assert kwargs == {}


class FourArguments(smtpd_compat.SMTPServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.seen: List[Any] = []
        super().__init__(*args, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data):  # type: ignore[no-untyped-def]
        self.seen.append(data)


class Explicit(FourArguments):
    def process_message(  # type: ignore[no-untyped-def, override]
        self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None
    ):
        self.seen.append((mail_options, rcpt_options))


class Star(FourArguments):
    def process_message(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        self.seen.append((args[3], kwargs))


@pytest.mark.parametrize(
    "cls, expected",
    [
        (FourArguments, b"hi"),
        (Explicit, (["SIZE=2"], [])),
        (Star, (b"hi", {"mail_options": ["SIZE=2"], "rcpt_options": []})),
    ],
)
def test_signatures(make_server: Any, cls: Any, expected: Any) -> None:
    server = make_server(cls)
    with smtp_client(server) as client:
        assert client.sendmail("a@b.c", ["d@e.f"], "hi") == {}
    assert server.seen == [expected]


@pytest.mark.parametrize(
    "reply, code, text",
    [
        (None, 250, b"OK"),
        ("", 250, b"OK"),
        ("250 Queued as 42", 250, b"Queued as 42"),
        ("554 No thanks", 554, b"No thanks"),
        ("250-first\r\n250 second", 250, b"first\nsecond"),
    ],
)
def test_return_value_is_the_reply(
    make_server: Any, reply: Optional[str], code: int, text: bytes
) -> None:
    server = make_server(Recorder)
    server.reply = reply
    with smtp_client(server) as client:
        client.ehlo()
        client.mail("a@b.c")
        client.rcpt("d@e.f")
        assert client.data("hi") == (code, text)


class Failing(Recorder):
    def process_message(self, *args: Any, **kwargs: Any) -> Optional[str]:
        super().process_message(*args, **kwargs)
        if len(self.calls) == 1:
            raise RuntimeError("disk full")
        return None


def test_exception_gives_451_and_the_connection_survives(
    make_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = make_server(Failing)
    with caplog.at_level(logging.ERROR, logger="smtpd_compat"):
        with smtp_client(server) as client:
            client.ehlo()
            client.mail("a@b.c")
            client.rcpt("d@e.f")
            code, _ = client.data("first")
            assert code == 451
            # the transaction was reset: a new MAIL is not "nested"
            assert client.sendmail("a@b.c", ["d@e.f"], "second") == {}
    assert len(server.calls) == 2
    assert "disk full" in caplog.text


def test_user_code_runs_on_the_program_loop_thread(recorder: Recorder) -> None:
    with smtp_client(recorder) as client:
        client.sendmail("a@b.c", ["d@e.f"], "hi")
    assert recorder.threads == [PROGRAM_LOOP_THREAD]


class Blocking(Recorder):
    """process_message waits until the test releases it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.release = threading.Event()
        self.active = 0
        self.most_active = 0
        self.lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_message(self, *args: Any, **kwargs: Any) -> Optional[str]:
        with self.lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        super().process_message(*args, **kwargs)
        self.release.wait(TIMEOUT)
        with self.lock:
            self.active -= 1
        return None


def send_in_thread(server: Any, results: List[Any]) -> threading.Thread:
    def send() -> None:
        with smtp_client(server) as client:
            results.append(client.sendmail("a@b.c", ["d@e.f"], "hi"))

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_other_connections_carry_on_while_process_message_blocks(make_server: Any) -> None:
    server = make_server(Blocking)
    results: List[Any] = []
    sender = send_in_thread(server, results)
    assert server.received.wait(TIMEOUT)
    with smtp_client(server) as other:
        assert other.ehlo()[0] == 250
        assert other.mail("x@y.z")[0] == 250
        assert other.noop()[0] == 250
    server.release.set()
    sender.join(TIMEOUT)
    assert results == [{}]


@pytest.mark.parametrize("concurrency, expected", [(None, 1), (3, 3)])
def test_one_call_at_a_time_unless_opted_in(
    make_server: Any, concurrency: Optional[int], expected: int
) -> None:
    kwargs = {} if concurrency is None else {"concurrency": concurrency}
    server = make_server(Blocking, **kwargs)
    results: List[Any] = []
    senders = [send_in_thread(server, results) for _ in range(3)]
    if expected == 3:
        for _ in range(100):  # wait until all three calls are inside process_message
            if server.active == 3:
                break
            server.received.clear()
            server.received.wait(0.2)
    server.release.set()
    for sender in senders:
        sender.join(TIMEOUT)
    assert results == [{}, {}, {}]
    assert server.most_active == expected


def test_disconnect_during_data_never_calls_process_message(recorder: Recorder, raw: Any) -> None:
    client = raw(recorder)
    client.reply()
    for line in (b"HELO x", b"MAIL FROM:<a@b.c>", b"RCPT TO:<d@e.f>", b"DATA"):
        client.command(line)
    client.send(b"Subject: cut\r\n\r\nhalf a message")
    client.close()
    # A second session completes; its message is the only one delivered.
    with smtp_client(recorder) as other:
        other.sendmail("a@b.c", ["d@e.f"], "whole")
    assert [args[3] for args, _ in recorder.calls] == [b"whole"]


def test_too_much_data_gives_552_and_returns_to_command_state(make_server: Any, raw: Any) -> None:
    server = make_server(Recorder, 100)
    client = raw(server)
    client.reply()
    for line in (b"HELO x", b"MAIL FROM:<a@b.c>", b"RCPT TO:<d@e.f>", b"DATA"):
        client.command(line)
    client.send(b"x" * 200 + b"\r\n.\r\n")
    assert client.reply() == b"552 Error: Too much mail data\r\n"
    assert client.command(b"NOOP") == b"250 OK\r\n"
    assert server.calls == []
    _ = port_of
