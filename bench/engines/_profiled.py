"""Run an engine with every thread under cProfile; dump the stats when SIGTERM stops it.

    python _profiled.py OUT.prof ENGINE_SCRIPT [engine options...]

Used by bench/profile.py for exact call counts (py-spy samples; this counts). Each
thread gets its own profiler; on SIGTERM they are merged into OUT.prof and each is
also written to OUT.<thread name>.prof. Python 3.11 and older only: from 3.12 on,
cProfile is one process-wide tool and cannot be enabled per thread.
"""

import cProfile
import os
import pstats
import runpy
import sys
import threading

OUT = sys.argv[1]
SCRIPT = os.path.abspath(sys.argv[2])
sys.argv = sys.argv[2:]
sys.path.insert(0, os.path.dirname(SCRIPT))

import _common  # noqa: E402  (after the path is set, as the engine would)

PROFILERS = []
LOCK = threading.Lock()
original_run = threading.Thread.run


def profiled_run(self):
    profiler = cProfile.Profile()
    with LOCK:
        PROFILERS.append((self.name, profiler))
    profiler.enable()
    try:
        original_run(self)
    finally:
        profiler.disable()


original_report = _common.report_and_exit


def dump_then_report(sink):
    merged = None
    with LOCK:
        taken = list(PROFILERS)
    for name, profiler in taken:
        profiler.disable()
        try:
            stats = pstats.Stats(profiler)
        except TypeError:  # a thread that never ran profiled code
            continue
        stats.dump_stats(f"{OUT}.{name}.prof")
        if merged is None:
            merged = stats
        else:
            merged.add(stats)
    if merged is not None:
        merged.dump_stats(OUT)
    original_report(sink)


threading.Thread.run = profiled_run
_common.report_and_exit = dump_then_report
main_profiler = cProfile.Profile()
PROFILERS.append(("MainThread", main_profiler))
main_profiler.enable()
runpy.run_path(SCRIPT, run_name="__main__")
