"""The module surface: legacy names, attributes, binding, closing."""

from __future__ import annotations

import io
import socket

import pytest

import smtpd_compat
from smtp_helpers import Recorder, port_of, smtp_client, start_program_loop

LEGACY_ALL = ["SMTPChannel", "SMTPServer", "DebuggingServer", "PureProxy"]


def test_all_matches_python_311() -> None:
    assert smtpd_compat.__all__ == LEGACY_ALL


@pytest.mark.parametrize(
    "name, value",
    [
        ("NEWLINE", "\n"),
        ("COMMASPACE", ", "),
        ("DATA_SIZE_DEFAULT", 33554432),
        ("__version__", "Python SMTP proxy version 0.3"),
    ],
)
def test_legacy_constants(name: str, value: object) -> None:
    assert getattr(smtpd_compat, name) == value


def test_devnull_and_program() -> None:
    assert isinstance(smtpd_compat.DEBUGSTREAM, smtpd_compat.Devnull)
    smtpd_compat.Devnull().write("ignored")
    assert isinstance(smtpd_compat.program, str)


def test_banner_reads_module_version(recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smtpd_compat, "__version__", "Acme mail 1.0")
    with socket.create_connection(("127.0.0.1", port_of(recorder)), timeout=10) as sock:
        line = sock.makefile("rb").readline()
    assert line == ("220 %s Acme mail 1.0\r\n" % socket.getfqdn()).encode()


def test_debugstream_is_looked_up_at_each_write(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(smtpd_compat, "DEBUGSTREAM", stream)
    with smtp_client(recorder) as client:
        client.sendmail("from@example.com", ["to@example.com"], "Subject: x\r\n\r\nbody\r\n")
    lines = stream.getvalue().splitlines()
    assert any(line.startswith("Peer: ('127.0.0.1', ") for line in lines)
    assert "sender: from@example.com" in lines
    assert "recips: ['to@example.com']" in lines
    assert "Data: b'Subject: x\\r\\n\\r\\nbody'" in lines


def test_legacy_attributes(make_server) -> None:  # type: ignore[no-untyped-def]
    private: dict = {}
    server = make_server(Recorder, 1000, private, False, True)
    assert server._localaddr == ("127.0.0.1", 0)
    assert server._remoteaddr is None
    assert server.data_size_limit == 1000
    assert server._map is private
    assert server.enable_SMTPUTF8 is False
    assert server._decode_data is True
    assert server.channel_class is smtpd_compat.SMTPChannel
    assert server.addr == server.socket.getsockname()
    assert server.socket.family == socket.AF_INET
    # Legacy kept only the server there; the map's job runner and the event loop's
    # selector sit beside it.
    assert [entry for entry in private.values() if isinstance(entry, Recorder)] == [server]
    assert len(private) == 3


def test_decode_data_and_smtputf8_conflict() -> None:
    with pytest.raises(ValueError, match="decode_data and enable_SMTPUTF8"):
        Recorder(("127.0.0.1", 0), None, enable_SMTPUTF8=True, decode_data=True)


def test_bind_error_raises_oserror_in_init(recorder: Recorder) -> None:
    taken = port_of(recorder)
    with pytest.raises(OSError):
        Recorder(("127.0.0.1", taken), None)


def test_ipv6_address(make_server) -> None:  # type: ignore[no-untyped-def]
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = Recorder(("::1", 0), None)
    except OSError as exc:
        pytest.skip("no IPv6 loopback: %s" % exc)
    loop = start_program_loop(server._map)
    try:
        assert server.socket.family == socket.AF_INET6
        with socket.create_connection(("::1", port_of(server)), timeout=10) as sock:
            assert sock.makefile("rb").readline().startswith(b"220 ")
            sock.sendall(b"HELO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nhi\r\n.\r\n")
            server.received.wait(10)
        (peer, *_), _ = server.calls[0]
        assert len(peer) == 4 and peer[0] == "::1"
    finally:
        server.close()
        loop.join(10)


def test_close_is_idempotent_and_releases_the_port() -> None:
    server = Recorder(("127.0.0.1", 0), None)
    port = port_of(server)
    server.close()
    server.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_context_manager_closes() -> None:
    with Recorder(("127.0.0.1", 0), None) as server:
        loop = start_program_loop(server._map)
        port = port_of(server)
        with smtp_client(server) as client:
            assert client.noop()[0] == 250
    loop.join(10)
    assert not loop.is_alive()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
