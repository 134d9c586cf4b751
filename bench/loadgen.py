"""Load generator: drives one SMTP engine over raw sockets and measures it from outside.

Runs in its own process (standard library only, Python >= 3.8, Linux). Every reply
code of every command is checked; any unexpected reply, malformed line, reset or
timeout is an error, counted and reported. Connections are either *ramped* (at most
``--ramp`` connects waiting for their banner at once) or opened in a *burst*.

The server is measured from this process, at the moments that matter:

* CPU: the server's process-wide CPU clock (all threads, nanosecond resolution),
  read with ``clock_gettime`` on the clock id that ``clock_getcpuclockid(pid)`` makes;
* memory: ``VmRSS`` / ``VmHWM`` from ``/proc/<pid>/status``; the peak is reset
  (``/proc/<pid>/clear_refs``) before the measured phase where that is allowed.

Prints one JSON object on stdout; progress and errors go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from typing import Any, Dict, List, Optional

EHLO = b"EHLO bench.example\r\n"
MAIL = b"MAIL FROM:<bench@example.com>\r\n"
RCPT = b"RCPT TO:<sink@example.com>\r\n"
DATA = b"DATA\r\n"
NOOP = b"NOOP\r\n"
QUIT = b"QUIT\r\n"
KIB = 1024
MIB = 1024 * 1024


class ReplyError(Exception):
    """The server answered something other than the expected reply code."""


# --- measuring the server -----------------------------------------------------------


class ServerMeter:
    """The server process's CPU time and memory, read from outside (Linux)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED), what glibc's clock_getcpuclockid()
        # returns: the process-wide clock, exited threads included.
        self.clock_id = ((~pid) << 3) | 2

    def cpu(self) -> float:
        return time.clock_gettime(self.clock_id)

    def status(self) -> Dict[str, int]:
        """VmRSS, VmHWM (bytes) and Threads from /proc/<pid>/status; {} once it has died."""
        values = {}
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    key, _, rest = line.partition(":")
                    if key in ("VmRSS", "VmHWM"):
                        values[key] = int(rest.split()[0]) * KIB
                    elif key == "Threads":
                        values[key] = int(rest)
                    elif key == "State" and rest.split()[0] in ("Z", "X"):
                        return {}
        except OSError:
            return {}
        return values

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS; False where the kernel does not allow it."""
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as clear_refs:
                clear_refs.write("5")
            return True
        except OSError:
            return False

    def alive(self) -> bool:
        return bool(self.status())


# --- messages -----------------------------------------------------------------------


class Message:
    """A body of about ``size`` bytes with CRLF lines, some of them starting with a dot."""

    def __init__(self, size: int) -> None:
        text = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 3
        lines = [b"From: bench@example.com", b"To: sink@example.com", b"Subject: bench", b""]
        total = sum(len(line) + 2 for line in lines)
        index = 0
        while total < size:
            line = text[index % 62 : index % 62 + 76]
            if index % 10 == 3:
                line = b"." + line[1:]  # exercises dot-stuffing both ways
            line = line[: max(1, size - total - 2)]
            lines.append(line)
            total += len(line) + 2
            index += 1
        self.size = total
        stuffed = [b"." + line if line.startswith(b".") else line for line in lines]
        self.wire = b"\r\n".join(stuffed) + b"\r\n.\r\n"


# --- one SMTP client session --------------------------------------------------------


class Session:
    """One client connection; every method checks the reply code it gets."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Session:
        reader, writer = await asyncio.open_connection(host, port)
        session = cls(reader, writer)
        await session.expect(220, "banner")
        return session

    async def expect(self, code: int, what: str) -> None:
        """Read one (possibly multi-line) reply; every line must carry ``code``."""
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if len(line) < 5 or not line[:3].isdigit() or line[3:4] not in b" -\r":
                raise ReplyError(f"{what}: malformed reply line {line[:80]!r}")
            if int(line[:3]) != code:
                raise ReplyError(f"{what}: expected {code}, got {line[:80]!r}")
            if line[3:4] != b"-":
                return

    async def command(self, line: bytes, code: int, what: str) -> None:
        self.writer.write(line)
        await self.expect(code, what)

    async def send_message(self, message: Message) -> None:
        await self.command(MAIL, 250, "MAIL")
        await self.command(RCPT, 250, "RCPT")
        await self.command(DATA, 354, "DATA")
        self.writer.write(message.wire)
        if len(message.wire) > 64 * KIB:
            await self.writer.drain()
        await self.expect(250, "end of data")

    async def quit(self) -> None:
        await self.command(QUIT, 221, "QUIT")
        self.close()

    def close(self) -> None:
        self.writer.close()

    def abort(self) -> None:
        self.writer.transport.abort()


# --- helpers ------------------------------------------------------------------------


def percentile(values: List[float], fraction: float) -> Optional[float]:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def latency_summary(values: List[float], prefix: str) -> Dict[str, Optional[float]]:
    ms = [v * 1000.0 for v in values]
    return {
        f"{prefix}_p50_ms": percentile(ms, 0.50),
        f"{prefix}_p90_ms": percentile(ms, 0.90),
        f"{prefix}_p99_ms": percentile(ms, 0.99),
        f"{prefix}_max_ms": max(ms) if ms else None,
    }


class Errors:
    """Counts failures and keeps a few distinct examples."""

    def __init__(self) -> None:
        self.count = 0
        self.examples: List[str] = []

    def add(self, exc: BaseException) -> None:
        self.count += 1
        text = f"{type(exc).__name__}: {exc}"[:200]
        if text not in self.examples and len(self.examples) < 5:
            self.examples.append(text)
            log(f"error: {text}")

    def as_dict(self) -> Dict[str, Any]:
        return {"errors": self.count, "error_examples": self.examples}


def log(text: str) -> None:
    sys.stderr.write(f"loadgen: {text}\n")
    sys.stderr.flush()


async def warm_up(args: argparse.Namespace, message: Message, count: int) -> None:
    """Exercise every code path once, so that lazy imports and caches are not measured."""
    session = await asyncio.wait_for(Session.open(args.host, args.port), args.timeout)
    await session.command(EHLO, 250, "EHLO")
    for _ in range(count):
        await session.send_message(message)
    await session.quit()
    await asyncio.sleep(0.1)


# --- scenarios ----------------------------------------------------------------------


async def throughput(args: argparse.Namespace, meter: ServerMeter) -> Dict[str, Any]:
    """``--conns`` connections (ramped) each send ``--msgs`` messages of ``--size`` bytes."""
    message = Message(args.size)
    await warm_up(args, message, min(args.msgs, 3))
    errors = Errors()
    latencies: List[float] = []
    ramp = asyncio.Semaphore(args.ramp)

    async def client() -> None:
        async with ramp:
            session = await Session.open(args.host, args.port)
        await session.command(EHLO, 250, "EHLO")
        for _ in range(args.msgs):
            start = time.perf_counter()
            await session.send_message(message)
            latencies.append(time.perf_counter() - start)
        await session.quit()

    before = meter.status()
    cpu0 = meter.cpu()
    start = time.perf_counter()
    outcomes = await asyncio.gather(
        *(asyncio.wait_for(client(), args.timeout) for _ in range(args.conns)),
        return_exceptions=True,
    )
    elapsed = time.perf_counter() - start
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            errors.add(outcome)
    await asyncio.sleep(0.05)  # let the server finish closing the connections
    cpu = meter.cpu() - cpu0
    after = meter.status()
    messages = len(latencies)
    result: Dict[str, Any] = {
        "messages": messages,
        "expected_messages": args.conns * args.msgs,
        "warmup_messages": min(args.msgs, 3),
        "message_bytes": message.size,
        "seconds": elapsed,
        "msg_per_s": messages / elapsed if elapsed else None,
        "server_cpu_s": cpu,
        "cpu_per_msg_us": cpu / messages * 1e6 if messages else None,
        "rss_before": before.get("VmRSS"),
        "rss_after": after.get("VmRSS"),
        "server_threads": after.get("Threads"),
    }
    result.update(latency_summary(latencies, "latency"))
    result.update(errors.as_dict())
    return result


async def blocking(args: argparse.Namespace, meter: ServerMeter) -> Dict[str, Any]:
    """``--clients`` clients keep sending while the handler blocks; probes time a dialogue.

    Throughput counts messages acknowledged inside the measured window. A probe is a
    fresh connection: banner, EHLO, QUIT; its latency is connect to 221.
    """
    message = Message(args.size)
    errors = Errors()
    done: List[float] = []
    stopping = False
    sessions: List[Session] = []
    ramp = asyncio.Semaphore(args.ramp)

    async def client() -> None:
        async with ramp:
            session = await Session.open(args.host, args.port)
        sessions.append(session)
        await session.command(EHLO, 250, "EHLO")
        while not stopping:
            await session.send_message(message)
            done.append(time.perf_counter())

    async def probe_once() -> Optional[float]:
        start = time.perf_counter()

        async def dialogue() -> None:
            session = await Session.open(args.host, args.port)
            try:
                await session.command(EHLO, 250, "probe EHLO")
                await session.quit()
            finally:
                session.abort()

        try:
            await asyncio.wait_for(dialogue(), args.probe_timeout)
        except asyncio.TimeoutError:
            return None
        return time.perf_counter() - start

    async def guarded(coro: Any) -> None:
        try:
            await coro
        except (asyncio.CancelledError, Exception) as exc:  # noqa: B014
            if not stopping and not isinstance(exc, asyncio.CancelledError):
                errors.add(exc)

    clients = [asyncio.ensure_future(guarded(client())) for _ in range(args.clients)]
    await asyncio.sleep(args.settle)  # every client queued behind the handler
    cpu0 = meter.cpu()
    start = time.perf_counter()
    end = start + args.duration
    probes = []
    while time.perf_counter() < end:
        probes.append(asyncio.ensure_future(probe_once()))
        await asyncio.sleep(args.probe_interval)
    stopping = True
    window_done = sum(1 for t in done if start <= t <= end)
    cpu = meter.cpu() - cpu0
    probe_results = []
    for outcome in await asyncio.gather(*probes, return_exceptions=True):
        if isinstance(outcome, BaseException):
            errors.add(outcome)
        else:
            probe_results.append(outcome)
    for session in sessions:
        session.abort()
    for task in clients:
        task.cancel()
    await asyncio.gather(*clients, return_exceptions=True)
    timeouts = sum(1 for r in probe_results if r is None)
    latencies = [r if r is not None else args.probe_timeout for r in probe_results]
    result: Dict[str, Any] = {
        "messages": window_done,
        "seconds": args.duration,
        "msg_per_s": window_done / args.duration,
        "handler_sleep": args.handler_sleep,
        "server_cpu_s": cpu,
        "probes": len(probe_results),
        "probe_timeouts": timeouts,
        "probe_timeout_s": args.probe_timeout,
    }
    result.update(latency_summary(latencies, "probe"))
    result.update(errors.as_dict())
    return result


async def burst(args: argparse.Namespace, meter: ServerMeter) -> Dict[str, Any]:
    """``--conns`` connects at once; time each until its banner, then EHLO and QUIT."""
    await warm_up(args, Message(KIB), 1)
    errors = Errors()
    banner_times: List[float] = []
    start = time.perf_counter()

    async def client() -> None:
        session = await Session.open(args.host, args.port)
        banner_times.append(time.perf_counter() - start)
        await session.command(EHLO, 250, "EHLO")
        await session.quit()

    outcomes = await asyncio.gather(
        *(asyncio.wait_for(client(), args.timeout) for _ in range(args.conns)),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            errors.add(outcome)
    within = sum(1 for t in banner_times if t <= 1.0)
    result: Dict[str, Any] = {
        "connections": args.conns,
        "banners": len(banner_times),
        "banners_within_1s": within,
    }
    result.update(latency_summary(banner_times, "banner"))
    result.update(errors.as_dict())
    return result


async def replies(args: argparse.Namespace, meter: ServerMeter) -> Dict[str, Any]:
    """``--conns`` sessions one after another, each reply timed; Nagle stalls show here."""
    message = Message(args.size)
    await warm_up(args, message, 1)
    errors = Errors()
    steps: Dict[str, List[float]] = {
        name: [] for name in ("banner", "EHLO", "MAIL", "RCPT", "DATA", "end_of_data", "QUIT")
    }

    async def timed(name: str, coro: Any) -> Any:
        start = time.perf_counter()
        value = await coro
        steps[name].append(time.perf_counter() - start)
        return value

    async def client() -> None:
        session = await timed("banner", Session.open(args.host, args.port))
        await timed("EHLO", session.command(EHLO, 250, "EHLO"))
        await timed("MAIL", session.command(MAIL, 250, "MAIL"))
        await timed("RCPT", session.command(RCPT, 250, "RCPT"))
        await timed("DATA", session.command(DATA, 354, "DATA"))
        await timed("end_of_data", session.command(message.wire, 250, "end of data"))
        await timed("QUIT", session.quit())

    for _ in range(args.conns):
        try:
            await asyncio.wait_for(client(), args.timeout)
        except Exception as exc:
            errors.add(exc)
    result: Dict[str, Any] = {}
    for name, values in steps.items():
        result.update(latency_summary(values, name))
    dialogue = [v for name, values in steps.items() if name != "end_of_data" for v in values]
    result["slowest_command_reply_ms"] = max(dialogue) * 1000.0 if dialogue else None
    result["replies_over_20ms"] = sum(1 for v in dialogue if v > 0.020)
    result.update(errors.as_dict())
    return result


async def hold_connections(
    args: argparse.Namespace, meter: ServerMeter, settle: float
) -> Dict[str, Any]:
    """Open ``--conns`` connections (ramped; banner + EHLO each), hold them, measure RSS,
    then prove each is still served (NOOP) and QUIT."""
    await warm_up(args, Message(KIB), 1)
    errors = Errors()
    ramp = asyncio.Semaphore(args.ramp)
    sessions: List[Session] = []

    async def open_one() -> None:
        async with ramp:
            session = await Session.open(args.host, args.port)
        sessions.append(session)
        await session.command(EHLO, 250, "EHLO")

    rss0 = meter.status()["VmRSS"]
    start = time.perf_counter()
    outcomes = await asyncio.gather(
        *(asyncio.wait_for(open_one(), args.timeout) for _ in range(args.conns)),
        return_exceptions=True,
    )
    open_seconds = time.perf_counter() - start
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            errors.add(outcome)
    await asyncio.sleep(settle)
    rss1 = meter.status().get("VmRSS")
    alive = rss1 is not None
    served = 0

    async def finish(session: Session) -> None:
        await session.command(NOOP, 250, "NOOP")
        await session.quit()

    outcomes = await asyncio.gather(
        *(asyncio.wait_for(finish(s), args.timeout) for s in sessions),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            errors.add(outcome)
        else:
            served += 1
    for session in sessions:
        session.abort()
    opened = len(sessions)
    return dict(
        {
            "connections": args.conns,
            "opened": opened,
            "served": served,
            "open_seconds": open_seconds,
            "server_alive": alive,
            "rss_before": rss0,
            "rss_held": rss1,
            "kib_per_connection": (rss1 - rss0) / opened / KIB if rss1 and opened else None,
        },
        **errors.as_dict(),
    )


async def idle(args: argparse.Namespace, meter: ServerMeter) -> Dict[str, Any]:
    return await hold_connections(args, meter, settle=args.settle)


async def scale(args: argparse.Namespace, meter: ServerMeter) -> Dict[str, Any]:
    return await hold_connections(args, meter, settle=args.settle)


async def big(args: argparse.Namespace, meter: ServerMeter) -> Dict[str, Any]:
    """One message of ``--size`` bytes; the rise of the server's peak RSS it causes."""
    message = Message(args.size)
    await warm_up(args, Message(KIB), 1)
    errors = Errors()
    session = await asyncio.wait_for(Session.open(args.host, args.port), args.timeout)
    await session.command(EHLO, 250, "EHLO")
    reset = meter.reset_peak()
    before = meter.status()
    base = before["VmRSS"] if reset else before["VmHWM"]
    cpu0 = meter.cpu()
    start = time.perf_counter()
    try:
        await asyncio.wait_for(session.send_message(message), args.timeout)
        await session.quit()
        ok = 1
    except Exception as exc:
        errors.add(exc)
        ok = 0
    elapsed = time.perf_counter() - start
    peak = meter.status().get("VmHWM")
    cpu = meter.cpu() - cpu0 if peak is not None else None
    rise = peak - base if peak is not None else None
    return dict(
        {
            "messages": ok,
            "message_bytes": message.size,
            "seconds": elapsed,
            "server_cpu_s": cpu,
            "peak_reset": reset,
            "rss_before": before["VmRSS"],
            "peak_rss": peak,
            "peak_rise_mib": rise / MIB if rise is not None else None,
            "peak_rise_ratio": rise / message.size if rise is not None else None,
        },
        **errors.as_dict(),
    )


SCENARIOS = {
    "throughput": throughput,
    "blocking": blocking,
    "burst": burst,
    "replies": replies,
    "idle": idle,
    "scale": scale,
    "big": big,
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--conns", type=int, default=1, help="connections")
    parser.add_argument("--msgs", type=int, default=1, help="messages per connection")
    parser.add_argument("--size", type=int, default=KIB, help="message body bytes")
    parser.add_argument("--ramp", type=int, default=5, help="connects in flight at most")
    parser.add_argument("--timeout", type=float, default=60.0, help="per client, seconds")
    parser.add_argument("--clients", type=int, default=20, help="blocking: busy clients")
    parser.add_argument("--duration", type=float, default=5.0, help="blocking: window, s")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--probe-interval", type=float, default=0.1)
    parser.add_argument("--probe-timeout", type=float, default=10.0)
    parser.add_argument(
        "--handler-sleep", type=float, default=0.0, help="reported only: the server's setting"
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    meter = ServerMeter(args.server_pid)
    result = asyncio.run(SCENARIOS[args.scenario](args, meter))
    result["scenario"] = args.scenario
    result["loadgen_cpu_s"] = time.process_time()
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
