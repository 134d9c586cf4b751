"""CPU of the compat engine's threads over S1, per thread (the helper's ticks apart).

    python3 bench/experiments/thread_cpu.py [--runs 10] [--msgs 200] [TREE ...]

For each TREE (a checkout; its src/ goes first on PYTHONPATH; default: this one),
starts a fresh ``compat`` engine per run, runs S1's load generator once (warm-up
session included) and reads every server thread's CPU from
``/proc/<pid>/task/<tid>/schedstat`` (nanoseconds, user + system) before and after.
Prints the mean per run for the program's thread (the one that runs
``asyncore.loop()``) and for the others (the event-loop helper). Runs alternate
between trees, so load on a shared machine falls on each alike. Linux only.
"""

import argparse
import os
import signal
import subprocess
import sys
from typing import Dict, List

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import run as runner  # noqa: E402  (bench/run.py: venvs, engines)


def thread_cpu_ns(pid: int) -> Dict[str, int]:
    cpu = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as stat:
                cpu[tid] = int(stat.read().split()[0])
        except OSError:  # the thread ended meanwhile
            pass
    return cpu


def one_run(python: str, tree: str, msgs: int) -> Dict[str, int]:
    _, script, engine_args, _ = runner.ENGINES["compat"]
    env = dict(os.environ, PYTHONPATH=os.path.join(tree, "src"))
    command = [python, "-W", "ignore::DeprecationWarning", os.path.join(runner.ENGINES_DIR, script)]
    server = subprocess.Popen(command + list(engine_args), stdout=subprocess.PIPE, env=env)
    try:
        port = runner.read_line(server.stdout, 30).split()[1]
        before = thread_cpu_ns(server.pid)
        load = [python, os.path.join(runner.BENCH, "loadgen.py"), "throughput", "--conns", "1"]
        load += ["--msgs", str(msgs), "--size", "1024", "--port", port]
        subprocess.run(load + ["--server-pid", str(server.pid)], check=True, capture_output=True)
        after = thread_cpu_ns(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)
        server.stdout.close()
    main = str(server.pid)
    used = {tid: ns - before.get(tid, 0) for tid, ns in after.items()}
    return {"program": used.pop(main, 0), "others": sum(used.values())}


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--msgs", type=int, default=200)
    parser.add_argument("trees", nargs="*", default=[runner.REPO])
    args = parser.parse_args(argv)
    python = runner.ensure_venv("3.11", "compat", runner.find_interpreter("3.11"))
    totals = {tree: {"program": 0, "others": 0} for tree in args.trees}
    for _ in range(args.runs):
        for tree in args.trees:
            for role, ns in one_run(python, tree, args.msgs).items():
                totals[tree][role] += ns
    for tree, cpu in totals.items():
        per_run = {role: ns / args.runs / 1000 for role, ns in cpu.items()}
        print(
            f"{tree}: program's thread {per_run['program']:,.0f} us, "
            f"other threads {per_run['others']:,.0f} us per run"
        )


if __name__ == "__main__":
    main()
