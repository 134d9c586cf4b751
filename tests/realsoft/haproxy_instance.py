"""HAProxy in front of shim instances, as users scale out: ``mode tcp``,
``balance roundrobin``, ``send-proxy-v2``, and an SMTP health check that sends its
own PROXY header (``check-send-proxy``; without it every check is a connection
without the header, which the shim closes, and HAProxy marks the server down).

A private config in a temporary directory, loopback ports, the process in the
foreground (``-db``) so the test owns it; ``stop`` always ends it.
"""

from __future__ import annotations

import csv
import re
import socket
from pathlib import Path
from typing import Dict, NamedTuple, Set, Tuple

from realsoft_support import (
    TIMEOUT,
    ManagedProcess,
    free_port,
    run,
    tool,
    wait_for_listener,
    wait_until,
)

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
    option smtpchk EHLO lb.example.net
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


class LoadBalancer:
    """HAProxy on a free loopback port, started once every backend passes its check."""

    def __init__(self, directory: Path, backends: Dict[str, int], probe_from: str) -> None:
        self.port = free_port()
        self.stats = directory / "admin.sock"
        config = directory / "haproxy.cfg"
        config.write_text(haproxy_config(self.port, backends, self.stats))
        checked = run([tool("haproxy"), "-c", "-f", str(config)])
        assert checked.returncode == 0, checked.stdout + checked.stderr
        self.process = ManagedProcess(
            [tool("haproxy"), "-db", "-f", str(config)], directory / "haproxy.log"
        )
        try:
            wait_for_listener(self.port, "HAProxy", self.process, source=probe_from)
            wait_until(self.all_servers_up, "HAProxy's SMTP health checks to pass")
        except BaseException:
            self.stop()
            raise

    def check_status(self) -> Dict[str, str]:
        """Each server's last health check result, from the stats socket."""
        with socket.socket(socket.AF_UNIX) as admin:
            admin.settimeout(TIMEOUT)
            admin.connect(str(self.stats))
            admin.sendall(b"show stat\n")
            answer = b"".join(iter(lambda: admin.recv(65536), b"")).decode()
        rows = csv.DictReader(answer.lstrip("# ").splitlines())
        return {
            row["svname"]: row["check_status"]
            for row in rows
            if row["pxname"] == "shims" and row["svname"] != "BACKEND"
        }

    def all_servers_up(self) -> bool:
        """``L7OK``: the server answered HAProxy's EHLO with a 2xx. HAProxy makes
        its stats socket a moment after it starts: until then, not up yet."""
        try:
            status = self.check_status()
        except (FileNotFoundError, ConnectionRefusedError):
            return False
        return set(status.values()) == {"L7OK"}

    def routes(self) -> Dict[Address, Route]:
        return {
            (host, int(port)): Route(server, (via_host, int(via_port)))
            for host, port, server, via_host, via_port in LOG_LINE.findall(self.log())
        }

    def servers_by_client(self) -> Dict[Address, Set[str]]:
        """Every server each client address was sent to. A client that binds before it
        connects (Postfix's ``smtp_bind_address``) can get a port back from the kernel
        for its next connection, so one address may have several lines."""
        servers: Dict[Address, Set[str]] = {}
        for host, port, server, _, _ in LOG_LINE.findall(self.log()):
            servers.setdefault((host, int(port)), set()).add(server)
        return servers

    def log(self) -> str:
        return self.process.output()

    def stop(self) -> None:
        self.process.stop()
