"""Benchmark runner: every engine side by side, repetitions interleaved, medians reported.

    python3 bench/run.py --short          # under two minutes
    python3 bench/run.py                  # the full run (medians of 3)
    python3 bench/run.py --python 3.12    # standard-smtpd as the legacy engine

Each cell (scenario x engine x repetition) starts the engine in a fresh process, runs
the load generator (loadgen.py, its own process) against it, then stops the engine
with SIGTERM and reads back what the application received. Repetitions are
interleaved (rep 1 of every engine, then rep 2, ...) and the engine order rotates,
so that noise on this shared machine hits all engines alike.

The runner makes its own virtual environments under bench/.venv-<python>-<role>
(``legacy``: nothing on 3.11, standard-smtpd/asyncore/asynchat on 3.12+;
``compat``: aiosmtpd, and this repository installed editable). It needs only the
standard library itself. Results: a table on stdout and a JSON file in bench/results/.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import hashlib
import json
import os
import resource
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Tuple

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
ENGINES_DIR = os.path.join(BENCH, "engines")
KIB = 1024
MIB = 1024 * 1024
BIG_SIZE = 32 * MIB - 64 * KIB  # just under the default data_size_limit of every engine

# --- engines ------------------------------------------------------------------------

# name: (venv role, script, script arguments, label)
ENGINES: Dict[str, Tuple[str, str, List[str], str]] = {
    "null": ("legacy", "null_asyncio.py", [], "null asyncio responder (ceiling)"),
    "stdlib": ("legacy", "legacy_stdlib.py", [], "legacy server, stdlib smtpd"),
    "aiosmtpd": ("compat", "native_aiosmtpd.py", ["--handler", "async"], "native aiosmtpd"),
    "aiosmtpd-exec": (
        "compat",
        "native_aiosmtpd.py",
        ["--handler", "executor"],
        "native aiosmtpd, run_in_executor handler",
    ),
    "compat": ("compat", "legacy_compat.py", [], "legacy server, smtpd_compat"),
    "compat-c4": (
        "compat",
        "legacy_compat.py",
        ["--concurrency", "4"],
        "legacy server, smtpd_compat concurrency=4",
    ),
}
DEFAULT_ENGINES = ["null", "stdlib", "aiosmtpd", "aiosmtpd-exec", "compat", "compat-c4"]
# Cells that would tell nothing new: the null responder has no application to block;
# the executor variant differs from plain aiosmtpd only in how the handler runs; and
# concurrency=4 differs from the default only where the handler blocks.
SKIP = {
    "null": {"blocking"},
    "aiosmtpd-exec": {"burst", "replies", "idle", "scale", "big"},
    "compat-c4": {"S1", "S2", "S3", "burst", "replies", "idle", "scale", "big"},
}

# --- scenarios ----------------------------------------------------------------------
# name: loadgen scenario, its arguments (full, short), server arguments, reps in short mode

HANDLER_SLEEP = 0.2


def scenario_table(short: bool) -> Dict[str, Dict[str, Any]]:
    def pick(full: Any, quick: Any) -> Any:
        return quick if short else full

    return {
        "S1": {
            "title": "S1: 1 connection, 200 x 1 KiB",
            "loadgen": ["throughput", "--conns", "1", "--msgs", "200", "--size", str(KIB)],
            "short_reps": 3,
        },
        "S2": {
            "title": f"S2: 50 connections x {pick(40, 10)} x 1 KiB",
            "loadgen": [
                "throughput",
                "--conns",
                "50",
                "--msgs",
                pick("40", "10"),
                "--size",
                str(KIB),
            ],
            "short_reps": 2,
        },
        "S3": {
            "title": f"S3: 10 connections x {pick(3, 1)} x 1 MiB",
            "loadgen": [
                "throughput",
                "--conns",
                "10",
                "--msgs",
                pick("3", "1"),
                "--size",
                str(MIB),
            ],
            "short_reps": 2,
        },
        "blocking": {
            "title": f"blocking handler ({HANDLER_SLEEP} s), 20 clients, probes every 0.1 s",
            "loadgen": [
                "blocking",
                "--clients",
                "20",
                "--duration",
                pick("8", "2"),
                "--probe-interval",
                "0.1",
                "--probe-timeout",
                pick("10", "3"),
                "--settle",
                pick("1", "0.5"),
                "--handler-sleep",
                str(HANDLER_SLEEP),
            ],
            "server": ["--handler-sleep", str(HANDLER_SLEEP)],
            "short_reps": 1,
        },
        "burst": {
            "title": "burst: 50 simultaneous connects",
            "loadgen": ["burst", "--conns", "50", "--timeout", pick("10", "3")],
            "short_reps": 1,
        },
        "replies": {
            "title": "reply latency: 20 sequential sessions",
            "loadgen": ["replies", "--conns", "20", "--timeout", "10"],
            "short_reps": 1,
        },
        "idle": {
            "title": "idle memory: 1,000 connections after EHLO",
            "loadgen": ["idle", "--conns", "1000", "--ramp", "5", "--settle", pick("1", "0.5")],
            "short_reps": 1,
        },
        "scale": {
            "title": f"scale: {pick('5,000', '2,000')} concurrent connections",
            "loadgen": [
                "scale",
                "--conns",
                pick("5000", "2000"),
                "--ramp",
                "5",
                "--settle",
                "0.5",
                "--timeout",
                pick("60", "30"),
            ],
            "short_reps": 1,
        },
        "big": {
            "title": "big: one 32 MiB message",
            "loadgen": ["big", "--size", str(BIG_SIZE), "--timeout", "120"],
            "short_reps": 1,
        },
    }


# --- virtual environments -----------------------------------------------------------


def find_interpreter(version: str) -> str:
    """The pyenv interpreter for ``version`` (e.g. 3.11), else pythonX.Y on PATH."""
    try:
        root = subprocess.run(
            ["pyenv", "root"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        root = os.path.expanduser("~/.pyenv")
    candidates = sorted(
        glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python" + version)),
        key=lambda p: [int(x) for x in p.split("/versions/")[1].split("/")[0].split(".")],
    )
    if candidates:
        return candidates[-1]
    found = shutil.which("python" + version)
    if found:
        return found
    raise SystemExit(f"no interpreter for Python {version}: install it or put it on PATH")


def legacy_requirements(version: str) -> List[str]:
    major, minor = (int(x) for x in version.split(".")[:2])
    if (major, minor) >= (3, 12):
        return ["standard-smtpd", "standard-asyncore", "standard-asynchat"]
    return []


def pip(venv_python: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [venv_python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
    )


def ensure_venv(version: str, role: str, interpreter: str) -> str:
    """Create bench/.venv-<version>-<role> once; reinstall when its recipe changes."""
    path = os.path.join(BENCH, f".venv-{version}-{role}")
    python = os.path.join(path, "bin", "python")
    if role == "legacy":
        recipe = legacy_requirements(version)
    else:
        recipe = ["aiosmtpd>=1.4.6"]
        if legacy_requirements(version):
            recipe.append("pyasyncore>=1.0.4")
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as pyproject:
        stamp_text = json.dumps([interpreter, recipe, role]) + pyproject.read().hex()
    stamp = hashlib.sha256(stamp_text.encode()).hexdigest()
    stamp_file = os.path.join(path, "bench-stamp")
    if os.path.exists(stamp_file) and open(stamp_file).read() == stamp:
        return python
    say(f"preparing {path} ...")
    shutil.rmtree(path, ignore_errors=True)
    subprocess.run([interpreter, "-m", "venv", path], check=True)
    if recipe:
        done = pip(python, *recipe)
        if done.returncode:
            raise SystemExit(f"pip install {' '.join(recipe)} failed:\n{done.stderr}")
    if role == "compat":
        done = pip(python, "-e", REPO)
        if done.returncode:
            say(f"warning: pip install -e {REPO} failed; smtpd_compat will be skipped:")
            say(done.stderr.strip()[-2000:])
    with open(stamp_file, "w") as out:
        out.write(stamp)
    return python


def compat_problem(python: str) -> Optional[str]:
    """None when smtpd_compat.SMTPServer imports in the compat venv, else why not."""
    done = subprocess.run(
        [python, "-W", "ignore", "-c", "import smtpd_compat; smtpd_compat.SMTPServer"],
        capture_output=True,
        text=True,
    )
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit code {done.returncode}"


def package_versions(python: str) -> Dict[str, str]:
    code = (
        "import json, sys\n"
        "from importlib import metadata\n"
        "out = {'python': sys.version.split()[0]}\n"
        "for name in ('aiosmtpd', 'smtpd-compat', 'standard-smtpd', 'pyasyncore',"
        " 'standard-asyncore'):\n"
        "    try: out[name] = metadata.version(name)\n"
        "    except metadata.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return json.loads(done.stdout) if done.returncode == 0 else {}


# --- one cell -----------------------------------------------------------------------


def say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def read_line(stream: Any, timeout: float) -> Optional[str]:
    """One line from a pipe, or None after ``timeout`` seconds or at end of file."""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    try:
        if not selector.select(timeout):
            return None
        line = stream.readline()
        return line.decode(errors="replace") if line else None
    finally:
        selector.close()


def tail(path: str, lines: int = 8) -> str:
    try:
        with open(path, errors="replace") as log_file:
            return "".join(log_file.readlines()[-lines:])
    except OSError:
        return ""


def run_cell(
    python: str, engine: str, scenario: Dict[str, Any], log_dir: str, cell_name: str
) -> Dict[str, Any]:
    """Start the engine, run the load generator against it, stop the engine."""
    role, script, engine_args, _ = ENGINES[engine]
    server_log = os.path.join(log_dir, cell_name + ".server.log")
    loadgen_log = os.path.join(log_dir, cell_name + ".loadgen.log")
    command = [
        python,
        "-W",
        "ignore::DeprecationWarning",
        os.path.join(ENGINES_DIR, script),
        *engine_args,
        *scenario.get("server", []),
    ]
    with open(server_log, "wb") as err:
        server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err)
    result: Dict[str, Any] = {"engine": engine}
    try:
        line = read_line(server.stdout, 30)
        if not line or not line.startswith("PORT "):
            result["failed"] = "engine did not start: " + tail(server_log)
            return result
        port = line.split()[1]
        with open(loadgen_log, "wb") as err:
            done = subprocess.run(
                [
                    python,
                    os.path.join(BENCH, "loadgen.py"),
                    *scenario["loadgen"],
                    "--port",
                    port,
                    "--server-pid",
                    str(server.pid),
                ],
                stdout=subprocess.PIPE,
                stderr=err,
                timeout=600,
            )
        if done.returncode:
            result["failed"] = "load generator failed: " + tail(loadgen_log)
        else:
            result.update(json.loads(done.stdout.decode().strip().splitlines()[-1]))
        if server.poll() is not None:
            result["server_died"] = f"exit code {server.returncode}: " + tail(server_log, 4)
            return result
        server.send_signal(signal.SIGTERM)
        line = read_line(server.stdout, 10)
        while line is not None and not line.startswith("STATS "):
            line = read_line(server.stdout, 10)
        if line:
            result["server_stats"] = json.loads(line[len("STATS ") :])
        else:
            result["server_stats_missing"] = True
        return result
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)
        server.stdout.close()


def check_cell(result: Dict[str, Any]) -> None:
    """Cross-check the client's count against what the application received."""
    stats = result.get("server_stats")
    if stats is None or result.get("scenario") != "throughput":
        return
    expected = result["messages"] + result["warmup_messages"]
    if stats["messages"] != expected:
        result["count_mismatch"] = f"server got {stats['messages']}, client sent {expected}"


def cell_ok(result: Dict[str, Any]) -> bool:
    return not (result.get("failed") or result.get("errors") or result.get("count_mismatch"))


# --- the run ------------------------------------------------------------------------


def run(args: argparse.Namespace) -> Dict[str, Any]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    interpreter = find_interpreter(args.python)
    pythons = {role: ensure_venv(args.python, role, interpreter) for role in ("legacy", "compat")}
    scenarios = scenario_table(args.short)
    chosen_scenarios = args.scenarios or list(scenarios)
    engines = list(args.engines or DEFAULT_ENGINES)
    skipped: Dict[str, str] = {}
    problem = compat_problem(pythons["compat"])
    if problem:
        for engine in [e for e in engines if e.startswith("compat")]:
            engines.remove(engine)
            skipped[engine] = f"import smtpd_compat; smtpd_compat.SMTPServer failed: {problem}"
            say(f"SKIP {engine}: {skipped[engine]}")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    log_dir = os.path.join(BENCH, "results", f"logs-{stamp}")
    os.makedirs(log_dir, exist_ok=True)
    reps = args.reps
    cells: List[Dict[str, Any]] = []
    started = time.monotonic()
    max_reps = reps or (1 if args.short else 3)
    if args.short and not reps:
        max_reps = max(s["short_reps"] for s in scenarios.values())
    for rep in range(max_reps):
        for s_index, name in enumerate(chosen_scenarios):
            scenario = scenarios[name]
            if args.short and not reps and rep >= scenario["short_reps"]:
                continue
            here = [e for e in engines if name not in SKIP.get(e, ())]
            shift = (rep + s_index) % len(here)
            for engine in here[shift:] + here[:shift]:
                role = ENGINES[engine][0]
                cell_name = f"{name}-{engine}-rep{rep + 1}"
                cell_start = time.monotonic()
                result = run_cell(pythons[role], engine, scenario, log_dir, cell_name)
                result.update(
                    scenario=name, rep=rep + 1, cell_seconds=time.monotonic() - cell_start
                )
                check_cell(result)
                cells.append(result)
                say(f"[{time.monotonic() - started:6.1f}s] {cell_name}: {brief(name, result)}")
    return {
        "meta": {
            "started": stamp,
            "seconds": time.monotonic() - started,
            "short": args.short,
            "python": args.python,
            "versions": {role: package_versions(p) for role, p in pythons.items()},
            "git_commit": git_commit(),
            "cpus": os.cpu_count(),
            "skipped": skipped,
            "logs": log_dir,
            "scenarios": {name: scenarios[name]["title"] for name in chosen_scenarios},
            "engines": {e: ENGINES[e][3] for e in engines},
        },
        "cells": cells,
    }


def git_commit() -> Optional[str]:
    done = subprocess.run(
        ["git", "-C", REPO, "describe", "--always", "--dirty"], capture_output=True, text=True
    )
    return done.stdout.strip() or None


# --- reporting ----------------------------------------------------------------------

# The figures shown per scenario: (result key, label, unit scale, format)
METRICS: Dict[str, List[Tuple[str, str, float, str]]] = {
    "S1": [
        ("cpu_per_msg_us", "server CPU/msg us", 1, "{:,.0f}"),
        ("msg_per_s", "msg/s", 1, "{:,.0f}"),
        ("latency_p50_ms", "latency p50 ms", 1, "{:.2f}"),
        ("latency_p99_ms", "latency p99 ms", 1, "{:.2f}"),
    ],
    "S2": [
        ("cpu_per_msg_us", "server CPU/msg us", 1, "{:,.0f}"),
        ("msg_per_s", "msg/s", 1, "{:,.0f}"),
        ("latency_p50_ms", "latency p50 ms", 1, "{:.1f}"),
        ("latency_p99_ms", "latency p99 ms", 1, "{:.1f}"),
    ],
    "S3": [
        ("cpu_per_msg_us", "server CPU/msg ms", 1e-3, "{:,.1f}"),
        ("msg_per_s", "msg/s", 1, "{:,.1f}"),
        ("latency_p50_ms", "latency p50 ms", 1, "{:,.0f}"),
    ],
    "blocking": [
        ("msg_per_s", "msg/s", 1, "{:.1f}"),
        ("probe_p50_ms", "probe p50 ms", 1, "{:,.0f}"),
        ("probe_p99_ms", "probe p99 ms", 1, "{:,.0f}"),
        ("probe_timeouts", "probes timed out", 1, "{:.0f}"),
    ],
    "burst": [
        ("banners_within_1s", "banners within 1 s (of 50)", 1, "{:.0f}"),
        ("banner_max_ms", "slowest banner ms", 1, "{:,.0f}"),
    ],
    "replies": [
        ("EHLO_p50_ms", "EHLO reply p50 ms", 1, "{:.2f}"),
        ("slowest_command_reply_ms", "slowest reply ms", 1, "{:.1f}"),
    ],
    "idle": [("kib_per_connection", "KiB per idle connection", 1, "{:.1f}")],
    "scale": [
        ("served", "connections served", 1, "{:,.0f}"),
        ("kib_per_connection", "KiB per connection", 1, "{:.1f}"),
        ("open_seconds", "seconds to open all", 1, "{:.1f}"),
    ],
    "big": [
        ("peak_rise_ratio", "peak RSS rise / size", 1, "{:.2f}"),
        ("server_cpu_s", "server CPU s", 1, "{:.2f}"),
    ],
}
# Figures also shown as a multiple of the null responder's.
VS_NULL = {"cpu_per_msg_us"}


def brief(name: str, result: Dict[str, Any]) -> str:
    if result.get("failed"):
        return "FAILED " + result["failed"].strip().replace("\n", " | ")[-300:]
    parts = []
    for key, label, scale, fmt in METRICS.get(name, []):
        value = result.get(key)
        if value is not None:
            parts.append(f"{label} " + fmt.format(value * scale))
    for flag in ("errors", "count_mismatch", "server_died"):
        if result.get(flag):
            parts.append(f"{flag}: {result[flag]}")
    return ", ".join(parts)


def summarize(report: Dict[str, Any]) -> Dict[str, Any]:
    """Per scenario, engine and metric: median, min, max over repetitions."""
    summary: Dict[str, Any] = {}
    for cell in report["cells"]:
        by_engine = summary.setdefault(cell["scenario"], {}).setdefault(cell["engine"], {})
        by_engine.setdefault("_cells", 0)
        by_engine["_cells"] += 1
        if not cell_ok(cell) and cell["scenario"] in ("S1", "S2", "S3"):
            by_engine.setdefault("_problems", []).append(problem_text(cell))
            continue
        if cell.get("errors") or cell.get("server_died"):
            by_engine.setdefault("_problems", []).append(problem_text(cell))
        for key, _, _, _ in METRICS.get(cell["scenario"], []):
            value = cell.get(key)
            if isinstance(value, (int, float)):
                by_engine.setdefault(key, []).append(value)
    for by_engine in summary.values():
        for values in by_engine.values():
            if isinstance(values, dict):
                for key in [k for k in values if not k.startswith("_")]:
                    series = values[key]
                    values[key] = {
                        "median": statistics.median(series),
                        "min": min(series),
                        "max": max(series),
                        "n": len(series),
                    }
    return summary


def problem_text(cell: Dict[str, Any]) -> str:
    for key in ("failed", "count_mismatch", "server_died"):
        if cell.get(key):
            lines = [line for line in str(cell[key]).strip().splitlines() if line.strip()]
            head = lines[0].split(":")[0] if lines else ""
            last = lines[-1].strip() if lines else ""
            return f"rep {cell['rep']}: {key}: {head}: {last}"[:240]
    examples = "; ".join(cell.get("error_examples", []))[:200]
    return f"rep {cell['rep']}: {cell.get('errors')} errors ({examples})"


def median(summary: Dict[str, Any], scenario: str, engine: str, key: str) -> Optional[float]:
    entry = summary.get(scenario, {}).get(engine, {}).get(key)
    return entry["median"] if entry else None


def format_figure(entry: Optional[Dict[str, float]], scale: float, fmt: str) -> str:
    if not entry:
        return "-"
    text = fmt.format(entry["median"] * scale)
    if entry["n"] > 1 and entry["min"] != entry["max"]:
        text += " (" + fmt.format(entry["min"] * scale) + "-" + fmt.format(entry["max"] * scale)
        text += ")"
    return text


def figures_table(report: Dict[str, Any], summary: Dict[str, Any]) -> str:
    engines = list(report["meta"]["engines"])
    header = ["scenario / figure"] + engines
    rows = [header, ["---"] * len(header)]
    for name, title in report["meta"]["scenarios"].items():
        rows.append([f"**{title}**"] + [""] * len(engines))
        for key, label, scale, fmt in METRICS[name]:
            row = [label]
            for engine in engines:
                row.append(
                    format_figure(summary.get(name, {}).get(engine, {}).get(key), scale, fmt)
                )
            rows.append(row)
            if key in VS_NULL:
                null = median(summary, name, "null", key)
                ratio_row = ["  as multiple of null"]
                for engine in engines:
                    value = median(summary, name, engine, key)
                    ratio_row.append(f"{value / null:.2f}x" if value and null else "-")
                rows.append(ratio_row)
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def targets(
    summary: Dict[str, Any], short: bool
) -> List[Tuple[str, Optional[float], str, Optional[bool]]]:
    """(target, ratio or figure, how it is computed, met?) for each of issue 5's targets."""
    scale_target = 2000 if short else 5000

    def m(scenario: str, engine: str, key: str) -> Optional[float]:
        return median(summary, scenario, engine, key)

    def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
        return a / b if a is not None and b else None

    out: List[Tuple[str, Optional[float], str, Optional[bool]]] = []

    def add(label: str, value: Optional[float], how: str, limit: float, below: bool) -> None:
        met = None if value is None else (value <= limit if below else value >= limit)
        out.append((label, value, how, met))

    for s in ("S1", "S2", "S3"):
        c = m(s, "compat", "cpu_per_msg_us")
        add(
            f"{s} CPU/msg <= stdlib",
            ratio(c, m(s, "stdlib", "cpu_per_msg_us")),
            "compat / stdlib <= 1.00",
            1.0,
            True,
        )
        if s != "S3":
            add(
                f"{s} CPU/msg <= 0.6 x aiosmtpd",
                ratio(c, m(s, "aiosmtpd", "cpu_per_msg_us")),
                "compat / aiosmtpd <= 0.60",
                0.6,
                True,
            )
        else:
            add(
                "S3 CPU/msg <= 0.25 x aiosmtpd",
                ratio(c, m(s, "aiosmtpd", "cpu_per_msg_us")),
                "compat / aiosmtpd <= 0.25",
                0.25,
                True,
            )
    add(
        "blocking: probe p99 < 50 ms",
        m("blocking", "compat", "probe_p99_ms"),
        "compat probe p99 ms < 50",
        50,
        True,
    )
    add(
        "blocking: default throughput = 1 / handler time",
        ratio(m("blocking", "compat", "msg_per_s"), 1 / HANDLER_SLEEP),
        "compat msg/s / 5 >= 0.90",
        0.9,
        False,
    )
    add(
        "blocking: concurrency=4 >= 0.9 x 4 / handler time",
        ratio(m("blocking", "compat-c4", "msg_per_s"), 4 / HANDLER_SLEEP),
        "compat-c4 msg/s / 20 >= 0.90",
        0.9,
        False,
    )
    add(
        "burst: 50 banners within 1 s",
        m("burst", "compat", "banners_within_1s"),
        "banners within 1 s >= 50",
        50,
        False,
    )
    add(
        "scale: 5,000 connections served",
        m("scale", "compat", "served"),
        f"served >= {scale_target:,}",
        scale_target,
        False,
    )
    add(
        "idle: <= 8 KiB per connection",
        m("idle", "compat", "kib_per_connection"),
        "KiB per idle connection <= 8",
        8,
        True,
    )
    add(
        "big: peak RSS rise <= 3 x 32 MiB",
        m("big", "compat", "peak_rise_ratio"),
        "peak rise / size <= 3",
        3,
        True,
    )
    add(
        "no Nagle stall: slowest reply < 40 ms",
        m("replies", "compat", "slowest_command_reply_ms"),
        "slowest command reply ms < 40",
        40,
        True,
    )
    return out


def targets_table(summary: Dict[str, Any], short: bool) -> str:
    rows = ["| target | smtpd_compat | rule | met |", "|---|---|---|---|"]
    for label, value, how, met in targets(summary, short):
        shown = "-" if value is None else f"{value:,.2f}"
        verdict = "n/a" if met is None else ("yes" if met else "**no**")
        rows.append(f"| {label} | {shown} | {how} | {verdict} |")
    return "\n".join(rows)


def problems_text(summary: Dict[str, Any]) -> str:
    lines = []
    for scenario, by_engine in summary.items():
        for engine, values in by_engine.items():
            for problem in values.get("_problems", []):
                lines.append(f"- {scenario} / {engine}: {problem}")
    return "\n".join(lines)


def render(report: Dict[str, Any], summary: Dict[str, Any]) -> str:
    meta = report["meta"]
    versions = meta["versions"]
    lines = [
        f"Python {versions.get('compat', {}).get('python') or meta['python']}, "
        f"aiosmtpd {versions.get('compat', {}).get('aiosmtpd', '?')}, "
        f"{meta['cpus']} CPUs, commit {meta['git_commit']}, "
        f"{'short' if meta['short'] else 'full'} run, {meta['seconds']:.0f} s. "
        "Medians (min-max) over repetitions; server CPU = all server threads.",
        "",
        figures_table(report, summary),
    ]
    for engine, why in meta["skipped"].items():
        lines += ["", f"SKIPPED {engine}: {why}"]
    lines += ["", targets_table(summary, meta["short"])]
    problems = problems_text(summary)
    if problems:
        lines += [
            "",
            "Errors and failures (expected ones included, e.g. stdlib past fd 1023):",
            problems,
        ]
    return "\n".join(lines)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark smtpd_compat against stdlib smtpd, aiosmtpd and a null responder."
    )
    parser.add_argument("--short", action="store_true", help="quick run, under two minutes")
    parser.add_argument("--python", default="3.11", help="interpreter version (default 3.11)")
    parser.add_argument(
        "--reps",
        type=int,
        default=0,
        help="repetitions (default 3; short: 3 for S1-S3, 1 for the rest)",
    )
    parser.add_argument(
        "--engines",
        type=lambda s: s.split(","),
        help="comma-separated subset of " + ",".join(ENGINES),
    )
    parser.add_argument(
        "--scenarios",
        type=lambda s: s.split(","),
        help="comma-separated subset of " + ",".join(scenario_table(False)),
    )
    parser.add_argument("--json", help="write the report here too (default bench/results/)")
    args = parser.parse_args(argv)
    for engine in args.engines or []:
        if engine not in ENGINES:
            parser.error(f"unknown engine {engine!r}")
    for name in args.scenarios or []:
        if name not in scenario_table(False):
            parser.error(f"unknown scenario {name!r}")
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    report = run(args)
    summary = summarize(report)
    report["summary"] = summary
    report["targets"] = [
        {"target": label, "value": value, "rule": how, "met": met}
        for label, value, how, met in targets(summary, args.short)
    ]
    text = render(report, summary)
    report["table"] = text
    paths = [os.path.join(BENCH, "results", f"run-{report['meta']['started']}.json")]
    if args.json:
        paths.append(args.json)
    for path in paths:
        with open(path, "w") as out:
            json.dump(report, out, indent=1)
    print(text)
    say(f"JSON: {', '.join(paths)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
