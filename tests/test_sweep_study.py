"""``examples/int_vs_minifloat.toml``: the full study parses into its points; subsets run."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pandas as pd
import pytest
from helpers import REPO_ROOT

from hwgen.sweep.pareto import choose_fronts
from hwgen.sweep.points import expand
from hwgen.sweep.runner import RunOptions, run_sweep
from hwgen.sweep.spec import load_spec

STUDY = REPO_ROOT / "examples" / "int_vs_minifloat.toml"


def test_study_has_hundreds_of_points_and_records_what_it_skips():
    points, skipped = expand(load_spec(STUDY))
    assert len(points) == 510
    assert Counter(p.family for p in points) == {"mac": 168, "array": 336, "bitmod_pe": 6}
    assert {p.design_class for p in points} == {"int", "minifloat", "mixed", "bitmod"}
    # Every combination of the study is buildable (arrays take float accumulators too).
    assert skipped == ()


def test_study_synthesizes_a_subset_and_prices_every_point_with_the_fast_model():
    spec = load_spec(STUDY)
    points, _ = expand(spec)
    assert sum(p.in_subset for p in points) == 102
    assert [p.in_subset for p in points[:6]] == [True, False, False, False, False, True]
    synth = {i.name for i in spec.stages if i.subset_only}
    assert synth == {"generate", "lint", "verify", "cost.asic", "cost.ice40", "workload"}
    assert {"fast_cost.asic", "fast_cost.ice40", "gemm_accuracy"} <= {i.name for i in spec.stages}
    fronts = {f.name: f for f in choose_fronts(spec)}
    assert fronts["area"].cost == "cost_asic_area_um2"
    assert fronts["area"].cost_source == "cost_asic_source"
    assert fronts["area"].error == "rel_mse"


def test_limit_runs_the_first_points_in_spec_order(tmp_path):
    spec = load_spec(STUDY)
    fast = tuple(i for i in spec.stages if i.name in ("generate", "accuracy"))
    spec = dataclasses.replace(spec, stages=fast)
    res = run_sweep(spec, tmp_path / "out", RunOptions(jobs=1, progress="none", limit=2))
    points, _ = expand(spec)
    assert list(res.table["design"]) == [p.name for p in points[:2]]
    assert (res.table["status"] == "ok").all()
    assert res.table["quant_operand_rel_mse"].notna().all()


def test_limit_is_validated():
    with pytest.raises(ValueError, match="limit must be an integer >= 1, not 0"):
        RunOptions(limit=0)


@pytest.mark.slow  # two points through every stage of the study (ASIC + iCE40 synthesis)
def test_study_subset_on_the_command_line(cli, tmp_path):
    out = tmp_path / "study"
    code, _, err = cli(
        "sweep", str(STUDY), "--out", str(out), "--limit", "2", "--jobs", "2",
        "--progress", "none",
    )  # fmt: skip
    assert code == 0, err
    df = pd.read_csv(out / "results.csv")
    assert len(df) == 2 and (df["status"] == "ok").all()
    # Every 5th point is in the study's [subset]: of the first two, the first is verified
    # and synthesized, the second is priced by the fitted model alone.
    first, second = df.iloc[0], df.iloc[1]
    assert first["verify_status"] == "pass" and first["workload_cycles"] > 0
    assert first["asic_area_um2"] > 0 and first["ice40_luts"] > 0
    assert pd.isna(second["verify_status"]) and pd.isna(second["asic_area_um2"])
    assert list(df["cost_asic_source"]) == ["synthesis", "fitted model"]
    assert df["cost_asic_area_um2"].gt(0).all()


@pytest.mark.slow  # 510 points through the fitted model and the operand error (~1-2 min)
def test_full_study_with_the_fast_model_only(tmp_path):
    spec = load_spec(STUDY)
    fast = tuple(i for i in spec.stages if i.name.startswith("fast_cost") or i.name == "accuracy")
    spec = dataclasses.replace(spec, stages=fast)
    res = run_sweep(spec, tmp_path / "out", RunOptions(jobs=2, progress="none"))
    df = res.table
    assert len(df) == 510 and (df["status"] == "ok").all()
    assert df["fast_asic_area_um2"].notna().all() and df["fast_ice40_luts"].notna().all()
    assert df["pareto_area"].sum() >= 3
