"""A real sweep end to end: results, cache, resume after kill -9, failures, Dask, report.

Most tests share the session's run of ``examples/sweep_small.toml`` (``sweep_small``
fixture, conftest.py) and work on copies of its output directory.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from helpers import REPO_ROOT, SWEEP_SMALL

from hwgen.errors import HwgenError
from hwgen.sweep.runner import RunOptions, run_sweep
from hwgen.sweep.stages.cost import CostStage

SPEC_TEXT = SWEEP_SMALL.read_text()


def _copy(built, tmp_path: Path) -> Path:
    dst = tmp_path / "out"
    shutil.copytree(built.out_dir, dst, ignore=shutil.ignore_patterns(".lock"))
    return dst


def _spec(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _records(out: Path) -> dict[tuple[str, str], dict]:
    recs = {}
    for f in sorted((out / "cache").rglob("*.json")):
        d = json.loads(f.read_text())
        recs[(d["stage"], d["key"])] = d
    return recs


# ---------------------------------------------------------------------- the results
def test_results_table(sweep_small):
    res = sweep_small.result
    df = pd.read_csv(sweep_small.out_dir / "results.csv")
    assert list(df["design"]) == [p.name for p in res.points]
    assert len(df) == 4 and df["point_id"].is_unique
    assert set(df["status"]) == {"ok"}
    assert set(df["verify_status"]) == {"pass"} and (df["verify_mismatches"] == 0).all()
    assert (df["verify_checks"] > 0).all()
    assert set(df["design_class"]) == {"int", "minifloat", "mixed"}
    # every cost column comes with its source; targets without LUTs have no LUT column
    for col in ("generic_transistors", "generic_cells", "ecp5_luts", "ecp5_ffs"):
        assert (df[col] > 0).all(), col
    assert df["generic_source"].str.contains("yosys").all()
    assert df["ecp5_source"].str.contains("synth_ecp5").all()
    assert "generic_luts" not in df.columns
    assert df["quant_source"].str.contains("operand error").all()
    assert (df["quant_operand_rel_mse"] > df["quant_w_rel_mse"]).all()
    # the GEMM error of each design's arithmetic; the fronts rank on it
    assert (df["rel_mse"] > 0).all() and (df["sqnr_db"] > 0).all()
    assert df["source"].str.contains("hwgen.accuracy").all()
    # the design of each row is on disk, relative to the output directory
    for rel in df["rtl_dir"]:
        assert (sweep_small.out_dir / rel / "manifest.json").is_file()
    front = df[df["pareto_area"]]
    assert 1 <= len(front) < len(df)
    # a front point is not dominated by any other point
    for _, f in front.iterrows():
        dom = df[(df["generic_transistors"] <= f["generic_transistors"])
                 & (df["rel_mse"] <= f["rel_mse"])
                 & ((df["generic_transistors"] < f["generic_transistors"])
                    | (df["rel_mse"] < f["rel_mse"]))]  # fmt: skip
        assert dom.empty


def test_parquet_matches_the_table(sweep_small):
    pq = pd.read_parquet(sweep_small.out_dir / "results.parquet")
    pd.testing.assert_frame_equal(pq, sweep_small.result.table, check_dtype=False)
    assert str(pq["generic_transistors"].dtype) == "Int64"
    assert str(pq["pareto_area"].dtype) == "boolean"


def test_outputs_written(sweep_small):
    out = sweep_small.out_dir
    for name in ("results.csv", "results.parquet", "skipped.csv", "report.html",
                 "pareto_area.png", "pareto_area.svg", "sweep.json", "outputs.json"):  # fmt: skip
        assert (out / name).is_file(), name
    assert json.loads((out / "sweep.json").read_text())["sweep"] == "small"
    assert (out / "pareto_area.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cached_rerun_is_50x_faster(sweep_small, tmp_path):
    out = _copy(sweep_small, tmp_path)
    t0 = time.perf_counter()
    res = run_sweep(SWEEP_SMALL, out, RunOptions(jobs=2, progress="none"))
    rerun = time.perf_counter() - t0
    assert res.stats.from_cache == 4 and res.stats.evaluated == 0
    assert not any(res.stats.computed.values())
    assert not res.stats.outputs_rewritten
    assert (out / "results.csv").read_bytes() == (sweep_small.out_dir / "results.csv").read_bytes()
    speedup = sweep_small.first_run_seconds / rerun
    assert speedup >= 50, f"first run {sweep_small.first_run_seconds:.1f} s, re-run {rerun:.3f} s"


def test_changed_workload_reruns_only_accuracy(sweep_small, tmp_path):
    out = _copy(sweep_small, tmp_path)
    text = SPEC_TEXT.replace('weights = { dist = "student-t", seed = 0 }',
                             'weights = { dist = "student-t", seed = 5 }')  # fmt: skip
    assert text != SPEC_TEXT
    res = run_sweep(_spec(tmp_path, text), out, RunOptions(jobs=1, progress="none"))
    assert {k: v for k, v in res.stats.computed.items() if v} == {"accuracy": 4}
    old = sweep_small.result.table
    assert (res.table["generic_transistors"] == old["generic_transistors"]).all()
    assert (res.table["quant_w_rel_mse"] != old["quant_w_rel_mse"]).all()
    assert res.stats.outputs_rewritten


GROWN_SPEC = """
[sweep]
name = "small"

[axes]
formats = ["int4:int4", "fp4_e2m1:fp4_e2m1", "fp4_e2m1:int4", "int4:fp4_e2m1", "int3:int3"]

[fixed]
family = "mac"
max_terms = 64

[stages]
run = ["generate", "lint", "cost", "accuracy"]

[stages.cost]
targets = ["generic"]

[workload.accuracy]
group_size = 128
weights = { dist = "student-t", seed = 0 }
activations = { dist = "gaussian", seed = 1, tokens = 256, channels = 1024 }
"""


def test_new_axis_value_runs_only_the_new_point(sweep_small, tmp_path):
    out = _copy(sweep_small, tmp_path)
    res = run_sweep(_spec(tmp_path, GROWN_SPEC), out, RunOptions(jobs=1, progress="none"))
    assert {k: v for k, v in res.stats.computed.items() if v} == {
        "generate": 1, "lint": 1, "cost.generic": 1, "accuracy": 1,
    }  # fmt: skip
    assert res.stats.from_cache == 4 and res.stats.evaluated == 1
    assert list(res.table["design"])[-1].startswith("mac_int3_x_int3")
    assert "verify_status" not in res.table.columns and "ecp5_luts" not in res.table.columns
    old = sweep_small.result.table
    assert list(res.table["generic_transistors"][:4]) == list(old["generic_transistors"])


# ---------------------------------------------------------------------- failures
def _fake_cost(fail_on: str):
    def run(self, point, options, inputs, ctx):
        if point.config["a_format"] == fail_on:
            raise HwgenError(f"synthetic {options.target} failure")
        return {"luts": 7, "ffs": 3, "carries": 0, "dsps": 0, "cells": 10, "source": "test double"}

    return run


def test_failing_point_is_recorded_and_retried(sweep_small, tmp_path, monkeypatch):
    out = _copy(sweep_small, tmp_path)
    text = SPEC_TEXT.replace('targets = ["generic", "ecp5"]', 'targets = ["generic", "ice40"]')
    spec = _spec(tmp_path, text)
    real = CostStage.run

    def patched(self, point, options, inputs, ctx):
        if options.target == "generic":
            return real(self, point, options, inputs, ctx)
        return _fake_cost("fp4_e2m1")(self, point, options, inputs, ctx)

    monkeypatch.setattr(CostStage, "run", patched)
    res = run_sweep(spec, out, RunOptions(jobs=1, progress="none"))
    df = res.table
    bad = df[df["a_format"] == "fp4_e2m1"]
    good = df[df["a_format"] != "fp4_e2m1"]
    assert set(bad["status"]) == {"failed"} and set(bad["failed_stage"]) == {"cost.ice40"}
    assert set(bad["error"]) == {"HwgenError: synthetic ice40 failure"}
    # the failing stage takes nothing else with it, and the sweep went on
    assert bad["quant_operand_rel_mse"].notna().all() and bad["generic_transistors"].notna().all()
    assert set(good["status"]) == {"ok"} and (good["ice40_luts"] == 7).all()
    assert res.stats.computed["cost.ice40"] == 4
    assert not bad["pareto_area"].any()
    # an unchanged re-run reports the recorded failures without running them
    again = run_sweep(spec, out, RunOptions(jobs=1, progress="none"))
    assert not any(again.stats.computed.values())
    assert (again.table["status"] == df["status"]).all()
    # --retry-failed runs just the failed stage again
    monkeypatch.setattr(CostStage, "run", _fake_cost("nothing"))
    fixed = run_sweep(spec, out, RunOptions(jobs=1, progress="none", retry_failed=True))
    assert {k: v for k, v in fixed.stats.computed.items() if v} == {"cost.ice40": 2}
    assert set(fixed.table["status"]) == {"ok"}


# ---------------------------------------------------------------------- kill -9 and resume
# The small sweep without its slowest stages (verify, ecp5): its uninterrupted reference
# comes straight from the session sweep's cache (same stage keys), so only the killed run
# and its resumption do real work.
FAST_SPEC = """
[sweep]
name = "small"

[axes]
formats = ["int4:int4", "fp4_e2m1:fp4_e2m1", "fp4_e2m1:int4", "int4:fp4_e2m1"]

[fixed]
family = "mac"
max_terms = 64

[stages]
run = ["generate", "lint", "cost", "accuracy"]

[stages.cost]
targets = ["generic"]

[workload.accuracy]
group_size = 128
weights = { dist = "student-t", seed = 0 }
activations = { dist = "gaussian", seed = 1, tokens = 256, channels = 1024 }
"""


def _reference(sweep_small, tmp_path: Path, spec: Path) -> Path:
    ref = _copy(sweep_small, tmp_path / "ref")
    res = run_sweep(spec, ref, RunOptions(jobs=1, progress="none"))
    assert res.stats.evaluated == 0
    return ref


def test_killed_run_resumes_to_the_same_results(sweep_small, tmp_path):
    spec = _spec(tmp_path, FAST_SPEC)
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hwgen", "sweep", str(spec), "--out", str(out),
         "--jobs", "2", "--progress", "lines"],
        cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("[1/4]"):
                break
        else:
            pytest.fail(f"the sweep ended before a point finished (exit {proc.wait()})")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "results.csv").exists()
    assert len(_records(out)) >= 4  # at least one whole point (4 stage instances)
    res = run_sweep(spec, out, RunOptions(jobs=2, progress="none"))
    assert res.stats.from_cache >= 1 and res.stats.evaluated <= 3
    ref = _reference(sweep_small, tmp_path, spec)
    assert (out / "results.csv").read_bytes() == (ref / "results.csv").read_bytes()
    # nothing lost, duplicated or corrupted: the same records as the uninterrupted run
    mine, theirs = _records(out), _records(ref)
    assert len(mine) == 4 * 4 and mine.keys() <= theirs.keys()
    for k, rec in mine.items():
        assert rec["status"] == "ok" and rec["result"] == theirs[k]["result"], k
    assert not list((out / "cache").rglob("*.tmp"))


# ---------------------------------------------------------------------- Dask
def test_dask_local_cluster_gives_the_local_results(sweep_small, tmp_path):
    from distributed import LocalCluster

    text = FAST_SPEC.replace(
        '"fp4_e2m1:fp4_e2m1", "fp4_e2m1:int4", "int4:fp4_e2m1"', '"fp4_e2m1:int4"'
    )
    text = text.replace('run = ["generate", "lint", "cost", "accuracy"]',
                        'run = ["generate", "cost", "accuracy"]')  # fmt: skip
    spec = _spec(tmp_path, text)
    with LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                      dashboard_address=None) as cluster:  # fmt: skip
        res = run_sweep(
            spec,
            tmp_path / "dask",
            RunOptions(executor="dask", scheduler=cluster.scheduler_address, progress="none"),
        )
    assert res.stats.evaluated == 2 and res.stats.executor.startswith("dask on inproc://")
    assert set(res.table["status"]) == {"ok"}
    ref = _copy(sweep_small, tmp_path / "ref")
    local = run_sweep(spec, ref, RunOptions(jobs=1, progress="none"))
    assert local.stats.evaluated == 0
    assert (tmp_path / "dask" / "results.csv").read_bytes() == (ref / "results.csv").read_bytes()


# ---------------------------------------------------------------------- report and summary
def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_renders_in_headless_chromium(sweep_small, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (make setup installs it as root)")
    url = (sweep_small.out_dir / "report.html").as_uri() + "#sort=-generic_transistors"
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", url],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert '<figure id="plot-area"><svg' in dom
    assert dom.count('<table class="sortable"') >= 4
    assert 'id="results" data-sortable="ready"' in dom  # the script ran
    # the #sort= fragment sorted the results table by transistors, largest first
    results = dom[dom.index('id="results"') :]
    results = results[: results.index("</table>")]
    widest = sweep_small.result.table.sort_values("generic_transistors").iloc[-1]["design"]
    first_row = results[results.index("<tbody>") :]
    assert first_row.index(widest) < first_row.index("</tr>")
    assert 'data-sorted="generic_transistors desc"' in results
    assert "Tool versions" in dom and "sweep_small.toml" in dom


def test_cli_prints_the_summary(sweep_small, tmp_path, cli):
    out = _copy(sweep_small, tmp_path)
    code, stdout, stderr = cli("sweep", str(SWEEP_SMALL), "--out", str(out), "--jobs", "2")
    assert code == 0, stderr
    assert "sweep small: 4 design point(s), 4 ok, 0 failed" in stdout
    assert "4 point(s) from the cache" in stdout
    assert "mac int        cheapest mac_int4_x_int4_acc14_s0_n64" in stdout
    assert "cheapest design per error budget" in stdout
    assert ">= 10 dB  mac_int4_x_int4_acc14_s0_n64" in stdout
    assert "report.html" in stdout
