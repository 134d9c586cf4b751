"""HAProxy in front of two shim instances: ``mode tcp``, ``balance roundrobin``,
``send-proxy-v2``, the way users scale out.

Clients connect from 127.0.0.2 while HAProxy reaches the shims from 127.0.0.1, so
an address taken from the TCP connection instead of the PROXY header shows up at
once. HAProxy's own tcplog names the backend it chose for each client; the test
checks that this instance, and only it, got the message with the client's address
as ``peer``, and that the shim's log names the client too.
"""

from __future__ import annotations

import csv
import logging
import re
import smtplib
import socket
import uuid
from pathlib import Path
from typing import Callable, Dict, Iterator, List, NamedTuple, Tuple

import pytest
from realsoft_support import (
    TIMEOUT,
    ManagedProcess,
    RecordingShim,
    free_port,
    run,
    tool,
    wait_for_listener,
    wait_until,
)

CLIENT_HOST = "127.0.0.2"
MESSAGES = 4
#: One line per client connection, when it ends: the client, the server HAProxy
#: chose, and HAProxy's own end of the connection to that server.
LOG_FORMAT = "client=%ci:%cp server=%s via=%bi:%bp bytes=%B state=%ts"
LOG_LINE = re.compile(r"client=([\d.]+):(\d+) server=(\w+) via=([\d.]+):(\d+)")

CONFIG = """\
global
    log stdout format raw local0
    maxconn 200
    stats socket {stats} mode 600

defaults
    mode tcp
    log global
    log-format "{log_format}"
    timeout connect 5s
    timeout client 60s
    timeout server 60s

frontend smtp
    bind 127.0.0.1:{front}
    default_backend shims

backend shims
    balance roundrobin
    option smtpchk EHLO haproxy.test
{servers}"""
SERVER_LINE = "    server %s 127.0.0.1:%d send-proxy-v2 check check-send-proxy inter 1s\n"

Address = Tuple[str, int]


class Route(NamedTuple):
    """Where HAProxy sent one client connection, from its log."""

    server: str
    via: Address


def haproxy_config(front: int, backends: Dict[str, int], stats: Path) -> str:
    servers = "".join(SERVER_LINE % item for item in backends.items())
    return CONFIG.format(front=front, servers=servers, stats=stats, log_format=LOG_FORMAT)


def check_status(stats: Path) -> Dict[str, str]:
    """Each server's last health check result (``L7OK``: the SMTP check passed)."""
    with socket.socket(socket.AF_UNIX) as admin:
        admin.settimeout(TIMEOUT)
        admin.connect(str(stats))
        admin.sendall(b"show stat\n")
        answer = b"".join(iter(lambda: admin.recv(65536), b"")).decode()
    rows = csv.DictReader(answer.lstrip("# ").splitlines())
    return {
        row["svname"]: row["check_status"]
        for row in rows
        if row["pxname"] == "shims" and row["svname"] != "BACKEND"
    }


def routes(haproxy: ManagedProcess) -> Dict[Address, Route]:
    return {
        (host, int(port)): Route(server, (via_host, int(via_port)))
        for host, port, server, via_host, via_port in LOG_LINE.findall(haproxy.output())
    }


class Balanced:
    """Two shims that expect a PROXY header, HAProxy before them, and the messages
    sent through it from 127.0.0.2: subject -> client address."""

    def __init__(self, shims: Dict[str, RecordingShim], haproxy: ManagedProcess, front: int):
        self.shims, self.haproxy, self.front = shims, haproxy, front
        self.sent: Dict[str, Address] = {}

    def send(self) -> None:
        """One message on its own connection, from the client host."""
        subject = uuid.uuid4().hex
        with smtplib.SMTP(
            "127.0.0.1", self.front, timeout=TIMEOUT, source_address=(CLIENT_HOST, 0)
        ) as client:
            self.sent[subject] = client.sock.getsockname()
            client.sendmail("a@client.test", ["b@example.com"], "Subject: %s\r\n\r\nhi" % subject)

    def routes(self) -> Dict[Address, Route]:
        """Each client's route, once HAProxy has logged every one."""

        def every_client_logged() -> Dict[Address, Route]:
            logged = routes(self.haproxy)
            return logged if all(a in logged for a in self.sent.values()) else {}

        found: Dict[Address, Route] = wait_until(every_client_logged, "HAProxy's log lines")
        return found


@pytest.fixture
def balanced(
    start_shim: Callable[..., RecordingShim], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[Balanced]:
    caplog.set_level(logging.INFO)
    shims = {name: start_shim(proxy_protocol=True) for name in ("shim1", "shim2")}
    front = free_port()
    config = tmp_path / "haproxy.cfg"
    stats = tmp_path / "admin.sock"
    config.write_text(haproxy_config(front, {n: s.port for n, s in shims.items()}, stats))
    checked = run([tool("haproxy"), "-c", "-f", str(config)])
    assert checked.returncode == 0, checked.stdout + checked.stderr
    haproxy = ManagedProcess([tool("haproxy"), "-db", "-f", str(config)], tmp_path / "log")
    try:
        wait_for_listener(front, "HAProxy", haproxy, source=CLIENT_HOST)
        wait_until(
            lambda: set(check_status(stats).values()) == {"L7OK"},
            "HAProxy's SMTP health checks to pass on both shims",
        )
        balanced = Balanced(shims, haproxy, front)
        for _ in range(MESSAGES):
            balanced.send()
        yield balanced
    finally:
        haproxy.stop()
        print("HAProxy's log:\n" + haproxy.output())  # shown when the test failed


def log_lines(caplog: pytest.LogCaptureFixture, logger: str = "") -> List[str]:
    """Log lines of the fixture (which sent the messages) and of the test so far."""
    records = caplog.get_records("setup") + caplog.get_records("call")
    return [r.getMessage() for r in records if not logger or r.name.startswith(logger)]


def test_peer_is_the_client_on_both_instances(balanced: Balanced) -> None:
    route = balanced.routes()
    for subject, client in balanced.sent.items():
        (delivery,) = balanced.shims[route[client].server].with_subject(subject)
        assert delivery.peer == client
        (other,) = set(balanced.shims) - {route[client].server}
        assert balanced.shims[other].with_subject(subject) == []
    # Round robin, but HAProxy's threads may take two connections in a row: both
    # instances served, not necessarily two each.
    assert {route[client].server for client in balanced.sent.values()} == {"shim1", "shim2"}
    assert sum(len(shim.deliveries) for shim in balanced.shims.values()) == MESSAGES


def test_the_shims_log_names_the_client(
    balanced: Balanced, caplog: pytest.LogCaptureFixture
) -> None:
    route = balanced.routes()
    wait_until(
        lambda: all(
            any(repr(client) in line for line in log_lines(caplog, "smtpd_compat"))
            for client in balanced.sent.values()
        ),
        "a smtpd_compat log line naming each client",
    )
    balancer_side = [repr(route[client].via) for client in balanced.sent.values()]
    named = [x for x in log_lines(caplog, "smtpd_compat") if any(b in x for b in balancer_side)]
    assert named == []


@pytest.mark.xfail(
    strict=True,
    reason="aiosmtpd's mail.log logs 'Peer: <HAProxy's address>' when the connection is "
    "made, before the PROXY header is read (engine: _bridge.LegacySMTP)",
)
def test_no_log_line_names_haproxy_for_a_client_connection(
    balanced: Balanced, caplog: pytest.LogCaptureFixture
) -> None:
    route = balanced.routes()
    balancer_side = [repr(route[client].via) for client in balanced.sent.values()]
    assert [x for x in log_lines(caplog) if any(b in x for b in balancer_side)] == []
