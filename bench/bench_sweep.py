"""Sweep throughput: design points per minute on 1 and 2 local jobs and a 2-worker Dask
LocalCluster, the speed-up of an unchanged (fully cached) re-run, and a fast-model-only
sweep of 1M design points.

Every synthesized run sweeps ``examples/sweep_small.toml`` (generate, lint, verify on
Icarus, Yosys generic + ECP5, accuracy, GEMM accuracy) into a fresh output directory;
ratios are against the 1-job run of the same process. The cached re-run is timed through
the Python API and through the ``hwgen`` command (which adds interpreter start-up and CLI
imports). The 1M-point sweep (:data:`MILLION`: 16 format pairs x 2 accumulators x 2 dot
lengths x 4 pipeline depths x 64 x 64 array shapes, priced by the fitted model on ASIC and
iCE40) runs through ``hwgen sweep SPEC`` (the vectorised fast-model path), then again
unchanged; its points per minute are compared with the 1-job synthesized run.
Run: ``python bench/bench_sweep.py [--skip-synth]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hwgen.sweep import RunOptions, load_spec, run_sweep

SPEC = Path(__file__).resolve().parent.parent / "examples" / "sweep_small.toml"
_DIMS = ", ".join(str(i) for i in range(1, 65))
MILLION = f"""
[sweep]
name = "fast_million"
description = "1M arrays priced by the fitted fast model"
[axes]
formats = ["int4:int4", "int8:int8", "int8:int4", "fp8_e4m3:fp8_e4m3", "fp8_e5m2:fp8_e5m2",
           "fp6_e2m3:fp6_e2m3", "fp6_e3m2:fp6_e3m2", "fp4_e2m1:fp4_e2m1", "fp8_e4m3:int4",
           "fp8_e4m3:fp4_e2m1", "int8:fp4_e2m1", "fp4_e2m1:int4", "int4:fp4_e2m1",
           "fp8_e4m3:fp6_e2m3", "int8:fp8_e4m3", "fp8_e4m3:int8"]
acc_format = ["none", "fp32"]
max_terms = [128, 4096]
stages = [0, 1, 2, 3]
rows = [{_DIMS}]
cols = [{_DIMS}]
[fixed]
family = "array"
[constraints]
unbuildable = "skip"
[stages]
run = ["fast_cost"]
[stages.fast_cost]
targets = ["asic", "ice40"]
"""


def timed(spec, out: Path, opts: RunOptions) -> tuple[float, int]:
    t0 = time.perf_counter()
    res = run_sweep(spec, out, opts)
    assert res.stats.failed == 0, res.summary()
    return time.perf_counter() - t0, res.stats.points


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def million(root: Path) -> list[tuple[str, float, float, int]]:
    """(run, wall s, CPU s, points) of the 1M-point fast-model sweep, first and unchanged."""
    spec = root / "fast_million.toml"
    spec.write_text(MILLION)
    out = root / "million"
    rows = []
    for label in ("fast model, 1M points (hwgen sweep)", "  unchanged re-run"):
        t0, c0 = time.perf_counter(), _child_cpu()
        done = subprocess.run(
            [sys.executable, "-m", "hwgen", "sweep", str(spec), "--out", str(out),
             "--progress", "none"],
            check=True, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        wall, cpu = time.perf_counter() - t0, _child_cpu() - c0
        first = done.stdout.splitlines()[0]
        points = int(first.split(": ", 1)[1].split(" ", 1)[0])
        rows.append((label, wall, cpu, points))
    size = (out / "results.parquet").stat().st_size + (out / "results.csv").stat().st_size
    print(f"1M-point sweep outputs: {size / 1e6:.0f} MB (results.csv + results.parquet)")
    return rows


def synthesized(root: Path) -> float:
    """Print the synthesized sweep's table; return its 1-job points per minute."""
    from distributed import LocalCluster

    spec = load_spec(SPEC)
    rows = []
    t1, n = timed(spec, root / "j1", RunOptions(jobs=1, progress="none"))
    rows.append(("local, 1 job", t1, n))
    t2, _ = timed(spec, root / "j2", RunOptions(jobs=2, progress="none"))
    rows.append(("local, 2 jobs", t2, n))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:  # fmt: skip
        t0 = time.perf_counter()
        td, _ = timed(
            spec,
            root / "dask",
            RunOptions(executor="dask", scheduler=cluster.scheduler_address, progress="none"),
        )
        td_total = time.perf_counter() - t0
    rows.append(("dask LocalCluster, 2 workers", td, n))
    cached, _ = timed(spec, root / "j2", RunOptions(jobs=2, progress="none"))
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "hwgen", "sweep", str(SPEC), "--out", str(root / "j2"),
         "--progress", "none"],
        check=True, capture_output=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    cli_cached = time.perf_counter() - t0
    print(f"sweep {spec.name}: {n} design points, stages {', '.join(i.name for i in spec.stages)}")
    print(f"{'run':<32} {'seconds':>8} {'points/min':>11} {'x 1 job':>8}")
    for name, t, pts in rows:
        print(f"{name:<32} {t:8.1f} {pts / t * 60:11.1f} {t1 / t:8.2f}")
    print(f"(dask run incl. cluster start: {td_total:.1f} s)")
    for name, t in (
        ("cached re-run (Python API)", cached),
        ("cached re-run (hwgen CLI)", cli_cached),
    ):
        print(f"{name:<32} {t:8.3f} {'':>11} {t2 / t:7.0f}x faster than the 2-job run")
    return n / t1 * 60


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-synth", action="store_true", help="run the 1M-point sweep only")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="hwgen_bench_sweep_"))
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    try:
        rate = None if args.skip_synth else synthesized(root)
        fast = million(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n{'fast-model sweep':<40} {'points':>9} {'wall s':>8} {'CPU s':>8} {'points/min':>12}")
    for label, wall, cpu, n in fast:
        print(f"{label:<40} {n:9,d} {wall:8.1f} {cpu:8.1f} {n / wall * 60:12,.0f}")
    if rate is not None:
        print(
            f"points/min x the 1-job synthesized run: {fast[0][3] / fast[0][1] * 60 / rate:,.0f}x"
        )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
