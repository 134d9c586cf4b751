"""Measure patched_compat.py variants side by side (CPU per message, interleaved).

    bench/.venv-3.11-compat/bin/python bench/experiments/compare_patches.py \
        "none;recv64k;addr,debug" S1,S2 3
"""

import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import run as runner  # noqa: E402

variants = sys.argv[1].split(";")
scen = sys.argv[2].split(",")
reps = int(sys.argv[3])
py = runner.ensure_venv("3.11", "compat", runner.find_interpreter("3.11"))
for v in variants:
    runner.ENGINES["x:" + v] = (
        "compat",
        os.path.join(HERE, "patched_compat.py"),
        [v, os.path.join(runner.ENGINES_DIR, "legacy_compat.py")],
        v,
    )
table = runner.scenario_table(False)
LOGS = os.path.join(runner.BENCH, "results", "experiments")
os.makedirs(LOGS, exist_ok=True)
res = {}
for r in range(reps):
    for s in scen:
        order = variants[r % len(variants) :] + variants[: r % len(variants)]
        for v in order:
            c = runner.run_cell(py, "x:" + v, table[s], LOGS, f"{s}-{r}")
            assert not c.get("errors") and not c.get("failed"), c
            key = "cpu_per_msg_us" if s != "big" else "peak_rise_ratio"
            res.setdefault((s, v), []).append(c[key])
for (s, v), vals in sorted(res.items()):
    print(f"{s:3} {v:28} median {statistics.median(vals):9.1f}  {[round(x) for x in vals]}")
