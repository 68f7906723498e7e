"""Sweep throughput: design points per minute on 1 and 2 local jobs and a 2-worker Dask
LocalCluster, and the speed-up of an unchanged (fully cached) re-run.

Every run sweeps ``examples/sweep_small.toml`` (4 MACs: generate, lint, verify on Icarus,
Yosys generic + ECP5, accuracy) into a fresh output directory; ratios are against the
1-job run of the same process. The cached re-run is timed through the Python API and
through the ``hwgen`` command (which adds interpreter start-up and CLI imports).
Run: ``python bench/bench_sweep.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hwgen.sweep import RunOptions, load_spec, run_sweep

SPEC = Path(__file__).resolve().parent.parent / "examples" / "sweep_small.toml"


def timed(spec, out: Path, opts: RunOptions) -> tuple[float, int]:
    t0 = time.perf_counter()
    res = run_sweep(spec, out, opts)
    assert res.stats.failed == 0, res.summary()
    return time.perf_counter() - t0, res.stats.points


def main() -> None:
    from distributed import LocalCluster

    spec = load_spec(SPEC)
    root = Path(tempfile.mkdtemp(prefix="hwgen_bench_sweep_"))
    rows = []
    try:
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
    finally:
        shutil.rmtree(root, ignore_errors=True)
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


if __name__ == "__main__":
    main()
