"""The real-software tier: the shim against Postfix, swaks and HAProxy from Debian.

``.ci/run`` installs the packages; there (CI=true) a missing tool fails the test,
elsewhere it skips naming the tool. Every shim runs the program's loop on a thread
over its own map, as a legacy program runs ``asyncore.loop()``, and every process a
test starts is stopped in teardown, with timeouts, even when the test failed.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest
import trustme
from realsoft_support import LOGIN, PASSWORD, Credentials, RecordingShim, ShimLoop


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.realsoft)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CA certificate as a PEM file, for tools that trust a file."""
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def credentials() -> Credentials:
    return Credentials(LOGIN, PASSWORD)


@pytest.fixture
def start_shim() -> Iterator[Callable[..., RecordingShim]]:
    """Start recording shims on 127.0.0.1:0, each with its loop thread; all stopped after."""
    loops: List[ShimLoop] = []

    def start(**options: Any) -> RecordingShim:
        loop = ShimLoop(RecordingShim, **options)
        loops.append(loop)
        server: RecordingShim = loop.server
        return server

    yield start
    for loop in loops:
        loop.stop()
