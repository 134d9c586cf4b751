"""Profile one engine under one scenario: where its CPU goes, per message.

    python3 bench/profile.py                           # smtpd_compat, S1, all tools
    python3 bench/profile.py --engine stdlib --scenario S3 --tool pyspy

Tools (each a separate run of the scenario, so none distorts another's figures):

* ``syscalls``: ``strace -f -c`` attached to the server: reads, writes, wake-ups
  (futex, eventfd/pipe writes) and polls per message, all threads;
* ``cprofile``: every server thread under cProfile (Python <= 3.11): exact call
  counts per message and time per function (inflated by the profiler itself);
* ``pyspy``: py-spy samples all threads without slowing them much: the honest
  share of CPU per function (installed into the engine's venv on first use);
* ``instructions``: the server under valgrind's callgrind, the scenario run twice
  with different message counts: user-space instructions per message (the
  difference, so start-up, warm-up and the session's set-up cancel out). Exact
  and repeatable on a busy machine, where CPU time is not; blind to the kernel
  and to what an instruction costs (cache misses). Not part of the default set.

Writes raw outputs to bench/profiles/ and prints a summary normalised per message.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pstats
import shutil
import signal
import subprocess
import sys
import time
from typing import Any, Dict, List, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import run as runner  # noqa: E402  (bench/run.py: venvs, engines, scenarios)

BENCH = runner.BENCH
OUT_DIR = os.path.join(BENCH, "profiles")


def start_engine(python: str, engine: str, scenario: Dict[str, Any], wrapper: List[str]):
    _, script, engine_args, _ = runner.ENGINES[engine]
    command = [
        python,
        "-W",
        "ignore::DeprecationWarning",
        *wrapper,
        os.path.join(runner.ENGINES_DIR, script),
        *engine_args,
        *scenario.get("server", []),
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE)
    line = runner.read_line(server.stdout, 30)
    if not line or not line.startswith("PORT "):
        server.kill()
        raise SystemExit(f"engine {engine} did not start")
    return server, line.split()[1]


def stop_engine(server: subprocess.Popen) -> Dict[str, Any]:
    server.send_signal(signal.SIGTERM)
    stats: Dict[str, Any] = {}
    line = runner.read_line(server.stdout, 30)
    while line is not None:
        if line.startswith("STATS "):
            stats = json.loads(line[len("STATS ") :])
            break
        line = runner.read_line(server.stdout, 30)
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(5)
    server.stdout.close()
    return stats


def run_load(python: str, scenario: Dict[str, Any], port: str, pid: int) -> Dict[str, Any]:
    done = subprocess.run(
        [
            python,
            os.path.join(BENCH, "loadgen.py"),
            *scenario["loadgen"],
            "--port",
            port,
            "--server-pid",
            str(pid),
        ],
        stdout=subprocess.PIPE,
        timeout=600,
        check=True,
    )
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def stop_tool(tool: subprocess.Popen) -> None:
    tool.send_signal(signal.SIGINT)
    try:
        tool.wait(60)
    except subprocess.TimeoutExpired:
        tool.kill()
        tool.wait(5)


# --- syscalls ---------------------------------------------------------------------


def profile_syscalls(python: str, args: argparse.Namespace, scenario: Dict[str, Any]) -> str:
    if not shutil.which("strace"):
        return "strace not found: apt-get install strace"
    out = os.path.join(OUT_DIR, f"{args.engine}-{args.scenario}-strace.txt")
    server, port = start_engine(python, args.engine, scenario, [])
    tool = subprocess.Popen(
        ["strace", "-f", "-c", "-o", out, "-p", str(server.pid)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # attached to every thread
    load = run_load(python, scenario, port, server.pid)
    stop_tool(tool)
    stats = stop_engine(server)
    messages = stats.get("messages") or load.get("messages") or 1
    rows = []
    with open(out) as text:
        for line in text:
            parts = line.split()
            if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
                calls = int(parts[3])
                rows.append((parts[-1], calls))
    rows.sort(key=lambda r: -r[1])
    lines = [f"syscalls per message ({messages} messages incl. warm-up, all threads; {out}):"]
    lines += [f"  {name:<18} {calls / messages:8.2f}" for name, calls in rows[:16]]
    return "\n".join(lines)


# --- cProfile ---------------------------------------------------------------------


def profile_cprofile(python: str, args: argparse.Namespace, scenario: Dict[str, Any]) -> str:
    out = os.path.join(OUT_DIR, f"{args.engine}-{args.scenario}.prof")
    wrapper = [os.path.join(runner.ENGINES_DIR, "_profiled.py"), out]
    server, port = start_engine(python, args.engine, scenario, wrapper)
    run_load(python, scenario, port, server.pid)
    stats = stop_engine(server)
    messages = stats.get("messages") or 1
    if not os.path.exists(out):
        return "cProfile wrote nothing (Python >= 3.12 cannot profile per thread)"
    lines = [f"cProfile, per message ({messages} messages incl. warm-up; {out}):"]
    for path in sorted(p for p in os.listdir(OUT_DIR) if p.startswith(os.path.basename(out) + ".")):
        thread = path[len(os.path.basename(out)) + 1 : -len(".prof")]
        thread_stats = pstats.Stats(os.path.join(OUT_DIR, path))
        total = sum(v[2] for v in thread_stats.stats.values())  # type: ignore[attr-defined]
        if total * 1e6 / messages < 5:
            continue
        lines.append(f"  thread {thread}: {total * 1e6 / messages:,.0f} us/msg (profiled)")
    merged = pstats.Stats(out)
    entries = []
    for (filename, line, name), (_cc, nc, tt, ct, _) in merged.stats.items():  # type: ignore
        short = f"{os.path.basename(filename)}:{line}({name})" if line else name
        entries.append((short, nc / messages, tt * 1e6 / messages, ct * 1e6 / messages))
    lines.append("  by own time: calls/msg, own us/msg, cumulative us/msg")
    for short, calls, own, cum in sorted(entries, key=lambda e: -e[2])[: args.top]:
        lines.append(f"    {calls:8.2f} {own:8.1f} {cum:9.1f}  {short}")
    lines.append("  most called: calls/msg, own us/msg, cumulative us/msg")
    for short, calls, own, cum in sorted(entries, key=lambda e: -e[1])[: args.top]:
        lines.append(f"    {calls:8.2f} {own:8.1f} {cum:9.1f}  {short}")
    return "\n".join(lines)


# --- py-spy -----------------------------------------------------------------------


def py_spy(python: str) -> str:
    path = os.path.join(os.path.dirname(python), "py-spy")
    if not os.path.exists(path):
        runner.say("installing py-spy into the engine's venv ...")
        done = runner.pip(python, "py-spy")
        if done.returncode:
            raise SystemExit("pip install py-spy failed:\n" + done.stderr)
    return path


def profile_pyspy(python: str, args: argparse.Namespace, scenario: Dict[str, Any]) -> str:
    out = os.path.join(OUT_DIR, f"{args.engine}-{args.scenario}-pyspy.txt")
    server, port = start_engine(python, args.engine, scenario, [])
    tool = subprocess.Popen(
        [
            py_spy(python),
            "record",
            "--pid",
            str(server.pid),
            "--rate",
            str(args.rate),
            "--format",
            "raw",
            "--threads",
            "--output",
            out,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    load = run_load(python, scenario, port, server.pid)
    stop_tool(tool)
    stats = stop_engine(server)
    messages = stats.get("messages") or load.get("messages") or 1
    if not os.path.exists(out):
        return "py-spy wrote nothing (ptrace not permitted?)"
    return summarize_collapsed(out, messages, args.rate, args.top)


def summarize_collapsed(path: str, messages: int, rate: int, top: int) -> str:
    """Self and inclusive samples per function and per thread, in us per message."""
    own: Dict[str, int] = collections.Counter()
    inclusive: Dict[str, int] = collections.Counter()
    threads: Dict[str, int] = collections.Counter()
    total = 0
    with open(path) as text:
        for line in text:
            stack, _, count_text = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            count = int(count_text)
            frames = stack.split(";")
            thread, frames = frames[0], [f for f in frames[1:] if f]
            total += count
            threads[thread.split(" (")[0] if thread.startswith("thread") else thread] += count
            if frames:
                own[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
    per_sample = 1e6 / rate / messages  # us per message that one sample stands for

    def us(samples: int) -> str:
        return f"{samples * per_sample:8.1f}"

    lines = [
        f"py-spy, {rate} Hz, us of CPU per message ({messages} messages; {path}):",
        f"  all threads: {us(total)}",
    ]
    lines += [f"  {name}: {us(n)}" for name, n in threads.most_common(6)]
    lines.append("  by own time:")
    lines += [f"    {us(n)}  {frame}" for frame, n in Counter(own).most_common(top)]
    lines.append("  inclusive:")
    lines += [f"    {us(n)}  {frame}" for frame, n in Counter(inclusive).most_common(top)]
    return "\n".join(lines)


Counter = collections.Counter

# --- instructions (callgrind) --------------------------------------------------------


def with_messages(scenario: Dict[str, Any], messages: int) -> Dict[str, Any]:
    """``scenario`` with ``messages`` per connection, slow-client timeouts."""
    load = list(scenario["loadgen"])
    load[load.index("--msgs") + 1] = str(messages)
    return dict(scenario, loadgen=load + ["--timeout", "600"])


def instructions_for(python: str, engine: str, scenario: Dict[str, Any], out: str) -> int:
    """Total user-space instructions of one engine process serving ``scenario``."""
    wrapper = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, python]
    _, script, engine_args, _ = runner.ENGINES[engine]
    command = [*wrapper, "-W", "ignore::DeprecationWarning"]
    command += [os.path.join(runner.ENGINES_DIR, script), *engine_args]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = runner.read_line(server.stdout, 120)
    if not line or not line.startswith("PORT "):
        server.kill()
        raise SystemExit(f"engine {engine} did not start under valgrind")
    run_load(python, scenario, line.split()[1], server.pid)
    stop_engine(server)
    with open(out) as text:
        for row in text:
            if row.startswith(("summary:", "totals:")):
                return int(row.split()[1])
    raise SystemExit(f"no instruction total in {out}")


def profile_instructions(python: str, args: argparse.Namespace, scenario: Dict[str, Any]) -> str:
    if not shutil.which("valgrind"):
        return "valgrind not found: apt-get install valgrind"
    if "--msgs" not in scenario["loadgen"]:
        return f"{args.scenario} has no message count to vary"
    counts = (20, 220)
    totals = [
        instructions_for(
            python,
            args.engine,
            with_messages(scenario, count),
            os.path.join(OUT_DIR, f"{args.engine}-{args.scenario}-{count}.callgrind"),
        )
        for count in counts
    ]
    connections = int(scenario["loadgen"][scenario["loadgen"].index("--conns") + 1])
    per_message = (totals[1] - totals[0]) / (connections * (counts[1] - counts[0]))
    return (
        f"user-space instructions per message: {per_message:,.0f} (callgrind, "
        f"{counts[1]} minus {counts[0]} messages per connection; "
        f"callgrind_annotate {OUT_DIR}/{args.engine}-{args.scenario}-*.callgrind)"
    )


TOOLS = {
    "syscalls": profile_syscalls,
    "cprofile": profile_cprofile,
    "pyspy": profile_pyspy,
    "instructions": profile_instructions,
}


def parse_args(argv: List[str] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.11")
    parser.add_argument("--engine", default="compat", choices=sorted(runner.ENGINES))
    parser.add_argument("--scenario", default="S1", choices=sorted(runner.scenario_table(False)))
    parser.add_argument(
        "--tool", default="syscalls,cprofile,pyspy", help="comma-separated: " + ",".join(TOOLS)
    )
    parser.add_argument("--rate", type=int, default=1000, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25, help="functions shown")
    parser.add_argument("--short", action="store_true", help="the short run's scenario sizes")
    return parser.parse_args(argv)


def main(argv: List[str] = None) -> int:
    args = parse_args(argv)
    interpreter = runner.find_interpreter(args.python)
    role = runner.ENGINES[args.engine][0]
    python = runner.ensure_venv(args.python, role, interpreter)
    scenario = runner.scenario_table(args.short)[args.scenario]
    os.makedirs(OUT_DIR, exist_ok=True)
    sections: List[Tuple[str, str]] = []
    for name in args.tool.split(","):
        runner.say(f"profiling {args.engine} / {args.scenario} with {name} ...")
        sections.append((name, TOOLS[name](python, args, scenario)))
    print(f"# {args.engine}, {args.scenario}: {scenario['title']}, Python {args.python}")
    for _, text in sections:
        print()
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
