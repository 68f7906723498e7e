"""``examples/int_vs_minifloat.toml``: the full study parses into its points; subsets run."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pandas as pd
import pytest
from helpers import REPO_ROOT

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
    assert len(df) == 2 and (df["verify_status"] == "pass").all()
    assert df["asic_area_um2"].gt(0).all() and df["ice40_luts"].gt(0).all()
    assert df["workload_cycles"].gt(0).all()
