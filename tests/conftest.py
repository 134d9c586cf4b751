"""Shared fixtures: real servers on 127.0.0.1 port 0, real clients with timeouts."""

from __future__ import annotations

from typing import Any, Callable, Iterator, List

import pytest

from smtp_helpers import RawClient, Recorder, port_of


@pytest.fixture
def make_server() -> Iterator[Callable[..., Any]]:
    """Build servers on 127.0.0.1:0; every one is closed after the test."""
    servers: List[Any] = []

    def make(cls: Any = Recorder, *args: Any, **kwargs: Any) -> Any:
        server = cls(("127.0.0.1", 0), None, *args, **kwargs)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


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
