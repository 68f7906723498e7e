"""Where the demo's time goes: wall and CPU seconds per stage and per design.

Runs the embedded default sweep (``hwgen/sweep/demo.toml``, or ``--spec FILE``) in this
process (``--jobs 1``, so every stage's CPU time is attributable: this process plus the
tools it waits for) into a fresh temporary directory, and prints one table per stage
instance and one per design, each with its share of the total. CPU seconds are the figure
to compare on a loaded machine: wall time there measures the queue.
Run: ``python bench/bench_demo.py [--spec FILE]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from hwgen.sweep import RunOptions, load_spec, run_sweep
from hwgen.sweep.demo import DEMO_SPEC
from hwgen.sweep.stages import STAGES


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", type=Path, default=DEMO_SPEC)
    args = ap.parse_args()
    spec = load_spec(args.spec)
    timings: list[tuple[str, str, float, float]] = []

    for cls in {type(s) for s in STAGES.values()}:
        orig = cls.run

        def timed(self, point, options, inputs, ctx, _orig=orig):  # type: ignore[no-untyped-def]
            inst = self.name
            target = getattr(options, "target", None)
            if isinstance(target, str):
                inst = f"{self.name}.{target}"
            w0, c0 = time.perf_counter(), _cpu()
            try:
                return _orig(self, point, options, inputs, ctx)
            finally:
                timings.append((inst, point.name, time.perf_counter() - w0, _cpu() - c0))

        cls.run = timed  # type: ignore[method-assign]

    root = Path(tempfile.mkdtemp(prefix="hwgen_bench_demo_"))
    load0 = os.getloadavg()
    w0, c0 = time.perf_counter(), _cpu()
    try:
        res = run_sweep(spec, root / "out", RunOptions(jobs=1, progress="none"))
    finally:
        wall, cpu = time.perf_counter() - w0, _cpu() - c0
        shutil.rmtree(root, ignore_errors=True)
    load1 = os.getloadavg()
    print(
        f"sweep {spec.name}: {res.stats.points} points, {res.stats.failed} failed;"
        f" {wall:.1f} s wall, {cpu:.1f} s CPU (1 job); load average"
        f" {load0[0]:.1f} -> {load1[0]:.1f}"
    )
    for key, label in ((0, "stage instance"), (1, "design")):
        agg: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        for row in timings:
            a = agg[row[key]]
            a[0] += row[2]
            a[1] += row[3]
            a[2] += 1
        tw = sum(a[0] for a in agg.values()) or 1.0
        tc = sum(a[1] for a in agg.values()) or 1.0
        print(f"\n{label:<40} {'runs':>4} {'wall s':>8} {'wall %':>7} {'CPU s':>8} {'CPU %':>6}")
        for name, (w, c, n) in sorted(agg.items(), key=lambda kv: -kv[1][1]):
            print(f"{name:<40} {n:>4} {w:8.1f} {100 * w / tw:6.1f}% {c:8.1f} {100 * c / tc:5.1f}%")
    print("\nper (stage, design), CPU s:")
    for inst, design, w, c in sorted(timings, key=lambda r: -r[3])[:25]:
        print(f"  {inst:<14} {design:<44} {w:7.1f} wall {c:7.1f} CPU")


if __name__ == "__main__":
    main()
