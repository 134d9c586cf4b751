"""Shared fixtures: real servers on 127.0.0.1 port 0, real clients with timeouts.

A server is served only while the program's loop runs over its map, as legacy
was: ``make_server`` runs ``smtpd_compat.loop()`` on a thread of its own (the
program's loop thread, where ``process_message`` and the hooks run) until every
server in the map is closed."""

from __future__ import annotations

import ssl
import threading
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
import trustme

from smtp_helpers import TIMEOUT, RawClient, Recorder, port_of, start_program_loop


@pytest.fixture
def make_server() -> Iterator[Callable[..., Any]]:
    """Build servers on 127.0.0.1:0, served by a program loop thread; every one is
    closed, and its loop thread joined, after the test."""
    servers: List[Any] = []
    loops: Dict[int, threading.Thread] = {}

    def make(cls: Any = Recorder, *args: Any, **kwargs: Any) -> Any:
        server = cls(("127.0.0.1", 0), None, *args, **kwargs)
        servers.append(server)
        loop = loops.get(id(server._map))
        if loop is None or not loop.is_alive():
            loops[id(server._map)] = start_program_loop(server._map)
        return server

    yield make
    for server in servers:
        server.close()
    for loop in loops.values():
        loop.join(TIMEOUT)
        assert not loop.is_alive(), "the program's loop did not end after close()"


@pytest.fixture
def recorder(make_server: Callable[..., Any]) -> Recorder:
    server: Recorder = make_server(Recorder)
    return server


@pytest.fixture
def raw() -> Iterator[Callable[[Any], RawClient]]:
    clients: List[RawClient] = []

    def connect(server: Any) -> RawClient:
        client = RawClient(port_of(server))
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def tls_contexts() -> Tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for 127.0.0.1 from a test CA (trustme),
    and a client context that trusts that CA."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return server_context, client_context
