"""Tests of the vectorised fast-model-only sweep (hwgen.sweep.fastpath)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from hwgen.sweep import RunOptions, fastpath, load_spec, run_sweep
from hwgen.sweep.fastpath import is_fast_only
from hwgen.sweep.points import DesignPoint, combination_point
from hwgen.sweep.stages.base import StageContext

DIMS = ", ".join(str(i) for i in range(1, 33))

# 5 format pairs x 2 accumulators x 32 x 32 shapes = 10,240 arrays, plus one BitMoD PE.
BIG = f"""
[sweep]
name = "fast10k"
[axes]
formats = ["int4:int4", "int8:int8", "fp8_e4m3:fp8_e4m3", "fp4_e2m1:fp4_e2m1", "int8:int4"]
rows = [{DIMS}]
acc_format = ["none", "fp32"]
cols = [{DIMS}]
[fixed]
family = "array"
[[points]]
family = "bitmod_pe"
formats = "fp16:bitmod_fp4"
[stages]
run = ["fast_cost"]
[stages.fast_cost]
targets = ["asic", "ice40"]
"""

# Geometry axes before and between the others, a family without a shape, shapes the
# array refuses (skipped), an explicit point.
SMALL = """
[sweep]
name = "fastsmall"
[axes]
rows = [1, 2]
family = ["mac", "array"]
formats = ["int4:int4", "fp8_e4m3:fp8_e4m3"]
cols = [2, 70]
stages = [0, 1]
[constraints]
unbuildable = "skip"
[[constraints.exclude]]
reason = "a rule on the rest of the point"
formats = "fp8_e4m3:fp8_e4m3"
stages = 1
[[points]]
family = "array"
formats = "int8:int8"
array = "3x5"
[stages]
run = ["fast_cost"]
[stages.fast_cost]
targets = ["asic", "ice40", "generic"]
"""


def _spec(tmp_path: Path, text: str, name: str = "spec.toml"):
    path = tmp_path / name
    path.write_text(text)
    return load_spec(path)


def test_vectorised_table_equals_point_by_point(tmp_path: Path) -> None:
    spec = _spec(tmp_path, SMALL)
    assert is_fast_only(spec)
    fast = run_sweep(spec, tmp_path / "fast", RunOptions(jobs=1, progress="none"))
    slow = run_sweep(spec, tmp_path / "slow", RunOptions(jobs=1, progress="none", fast_path=False))
    assert fast.stats.executor.startswith("vectorised")
    assert not slow.stats.executor.startswith("vectorised")
    pd.testing.assert_frame_equal(fast.table, slow.table)
    pd.testing.assert_frame_equal(fast.skipped_table, slow.skipped_table)
    reasons = fast.skipped_table["reason"]
    assert reasons.str.startswith("excluded").sum() == 5 and reasons.str.startswith("cols").sum()
    assert (fast.table["family"] == "mac").sum() == 3
    for name in ("results.csv", "skipped.csv"):
        assert (tmp_path / "fast" / name).read_bytes() == (tmp_path / "slow" / name).read_bytes()
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "fast" / "results.parquet"),
        pd.read_parquet(tmp_path / "slow" / "results.parquet"),
    )
    assert "fitted fast model only" in (tmp_path / "fast" / "report.html").read_text()


def test_ten_thousand_points_in_chunks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(fastpath, "CHUNK_POINTS", 4096)
    spec = _spec(tmp_path, BIG)
    out = tmp_path / "out"
    t0 = time.perf_counter()
    res = run_sweep(spec, out, RunOptions(progress="none"))
    first = time.perf_counter() - t0
    table = res.table
    assert res.stats.points == len(table) == 10_241 and res.stats.from_cache == 0
    assert table["point_id"].is_unique
    assert table["rows"].max() == 32 and table["cols"].max() == 32
    assert table["fast_asic_area_um2"].notna().all() and table["fast_ice40_luts"].notna().all()
    # Spec order: the last axis (cols) fastest, the explicit point last.
    assert list(table["cols"].iloc[:3]) == [1, 2, 3]
    assert pd.isna(table["acc_format"].iloc[0]) and table["acc_format"].iloc[32] == "fp32"
    assert table["family"].iloc[-1] == "bitmod_pe"
    # A row is what the per-point stage says for that point.
    fmts, accs = spec.axes[0].values, spec.axes[2].values  # parsed values, spec order
    samples = [
        combination_point(spec, v, "axes", "")
        for v in (
            {"family": "array", "formats": fmts[4], "rows": 3, "acc_format": accs[1], "cols": 7},
            {"family": "array", "formats": fmts[0], "rows": 32, "acc_format": accs[0], "cols": 1},
            dict(spec.points[0].values),
        )
    ]
    ctx = StageContext(out_dir=out)
    for p in samples:
        assert isinstance(p, DesignPoint)
        row = table[table["point_id"] == p.point_id].iloc[0]
        assert row["design"] == p.name
        for inst in spec.stages:
            want = inst.stage.run(p, inst.options, {}, ctx)
            for k, v in want.items():
                got = row[inst.column(k)]
                assert (pd.isna(got) and v is None) or got == v, (p.name, k)
    assert len(list((out / "cache" / "fast_sweep").glob("*.parquet"))) == 3
    assert first < 30  # about 1 s of CPU; generous for a loaded machine


def test_chunks_resume_and_limit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(fastpath, "CHUNK_POINTS", 5)
    spec = _spec(tmp_path, SMALL)
    out = tmp_path / "out"
    res = run_sweep(spec, out, RunOptions(progress="none"))
    table = res.table
    chunks = sorted((out / "cache" / "fast_sweep").glob("*.parquet"))
    assert len(chunks) == -(-len(table) // 5) > 1
    # An unchanged re-run reads every chunk and keeps the outputs.
    again = run_sweep(spec, out, RunOptions(progress="none"))
    assert again.stats.from_cache == len(table) and again.stats.outputs_rewritten is False
    # Resume: a lost chunk (a run killed before writing it) is computed again, the rest read.
    chunks[1].unlink()
    (out / "results.csv").unlink()
    again = run_sweep(spec, out, RunOptions(progress="none"))
    assert again.stats.from_cache == len(table) - 5 and again.stats.outputs_rewritten
    pd.testing.assert_frame_equal(again.table, table)
    limited = run_sweep(spec, tmp_path / "lim", RunOptions(progress="none", limit=7))
    pd.testing.assert_frame_equal(limited.table, table.head(7)[limited.table.columns])


def test_fast_only_needs_every_stage_to_be_the_model(tmp_path: Path) -> None:
    spec = _spec(tmp_path, SMALL.replace('run = ["fast_cost"]', 'run = ["fast_cost", "accuracy"]'))
    assert not is_fast_only(spec)
