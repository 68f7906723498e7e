"""``[subset]``: stages run on a chosen subset; combined synthesis / fitted-model costs."""

from __future__ import annotations

import pandas as pd
import pytest

from hwgen.errors import HwgenError
from hwgen.sweep.evaluate import evaluate_point
from hwgen.sweep.pareto import choose_fronts
from hwgen.sweep.points import expand
from hwgen.sweep.runner import RunOptions, run_sweep
from hwgen.sweep.spec import load_spec
from hwgen.sweep.stages import STAGES
from hwgen.sweep.subset import SOURCE_FITTED, SOURCE_SYNTHESIS, add_merged_costs

HEAD = """[sweep]
name = "sub"

[axes]
formats = ["int4:int4", "int8:int8", "fp4_e2m1:fp4_e2m1", "fp8_e4m3:fp8_e4m3"]
acc_format = ["none", "fp32"]

[constraints]
unbuildable = "skip"

[fixed]
max_terms = 64
"""


def _load(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return load_spec(p)


def test_every_nth_matching_point_runs_the_subset_stages(tmp_path):
    text = (
        HEAD
        + """
[stages]
run = ["fast_cost", "gemm_accuracy"]

[stages.fast_cost]
targets = ["generic"]

[workload.gemm_accuracy]
group_size = 32
weights = { k = 64, n = 8 }
activations = { tokens = 4 }

[subset]
stages = ["gemm_accuracy"]
every = 2
offset = 1
match = { acc_format = "none" }
"""
    )
    spec = _load(tmp_path, text)
    assert [i.subset_only for i in spec.stages] == [False, True]
    points = expand(spec)[0]
    fixed = [p for p in points if "acc_format" not in p.config]
    assert [p.in_subset for p in fixed] == [False, True, False, True]
    assert not any(p.in_subset for p in points if "acc_format" in p.config)
    for p in points:
        out = evaluate_point(p, spec.stages, tmp_path)
        assert out is not None and out.ok
        assert "fast_cost.generic" in out.records
        if p.in_subset:
            assert out.records["gemm_accuracy"].result["rel_mse"] > 0
        else:
            assert "gemm_accuracy" not in out.records
            assert out.not_run["gemm_accuracy"].startswith("n/a: not in the [subset]")


def test_combined_cost_columns_prefer_synthesis_and_name_the_source():
    cost = STAGES["cost"]
    fast = STAGES["fast_cost"]
    instances = (
        *cost.instances(cost.parse(None).__class__(targets=("generic",))),
        *fast.instances(fast.parse(None).__class__(targets=("generic",))),
    )
    df = pd.DataFrame(
        {
            "generic_transistors": pd.Series([1000, None, None], dtype="Int64"),
            "fast_generic_transistors": pd.Series([990.5, 2010.0, None], dtype="Float64"),
        }
    )
    out = add_merged_costs(df, instances)
    assert out["cost_generic_transistors"].tolist()[:2] == [1000.0, 2010.0]
    assert out["cost_generic_transistors"].isna().tolist()[2]
    assert out["cost_generic_source"].tolist()[:2] == [SOURCE_SYNTHESIS, SOURCE_FITTED]
    assert pd.isna(out["cost_generic_source"].iloc[2])


def test_fronts_use_the_combined_area(tmp_path):
    text = (
        HEAD
        + """
[stages]
run = ["generate", "cost", "fast_cost", "gemm_accuracy"]

[stages.cost]
targets = ["generic"]

[stages.fast_cost]
targets = ["generic"]

[subset]
every = 3
"""
    )
    spec = _load(tmp_path, text)
    assert [i.name for i in spec.stages if i.subset_only] == ["cost.generic"]
    (area,) = [f for f in choose_fronts(spec) if f.name == "area"]
    assert (area.cost, area.cost_source) == ("cost_generic_transistors", "cost_generic_source")
    assert area.error == "rel_mse"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('stages = ["accuracy"]\ncolour = 1\n',
         "unknown key 'colour' in [subset]; allowed: stages, every, offset, match"),
        ('stages = ["cost"]\n',
         "[subset] stages names 'cost', which [stages] run does not run; run: fast_cost,"
         " accuracy"),
        ('stages = ["accuracy"]\nevery = 0\n', "[subset] every must be an integer >= 1, not 0"),
        ('stages = ["accuracy"]\nevery = 2\noffset = 2\n',
         "[subset] offset must be below every (2), not 2"),
        ('stages = ["accuracy"]\nmatch = { colour = "red" }\n',
         "unknown key 'colour' in [subset.match]; allowed:"),
        ('stages = ["accuracy"]\nmatch = { acc_format = "fp99" }\n', "[subset.match] acc_format"),
        ("every = 2\n", "[subset] restricts no stage: the sweep runs none of cost, energy;"
         " name them in stages"),
    ],
)  # fmt: skip
def test_bad_subset(tmp_path, table, message):
    text = HEAD + '\n[stages]\nrun = ["fast_cost", "accuracy"]\n\n[subset]\n' + table
    with pytest.raises(HwgenError) as exc:
        _load(tmp_path, text)
    msg = str(exc.value)
    assert msg.startswith(str(tmp_path / "s.toml") + ":") and message in msg


@pytest.mark.slow  # Yosys synthesis of two MACs
def test_a_synthesized_subset_next_to_the_fitted_model(tmp_path):
    text = (
        HEAD
        + """
[stages]
run = ["generate", "cost", "fast_cost", "accuracy"]

[stages.cost]
targets = ["generic"]

[stages.fast_cost]
targets = ["generic"]

[subset]
stages = ["generate", "cost"]
every = 4
"""
    )
    res = run_sweep(_load(tmp_path, text), tmp_path / "out", RunOptions(jobs=2, progress="none"))
    df = res.table
    synth = df["generic_transistors"].notna()
    assert synth.sum() == 2 and df["fast_generic_transistors"].notna().all()
    assert (df.loc[synth, "cost_generic_source"] == SOURCE_SYNTHESIS).all()
    assert (df.loc[~synth, "cost_generic_source"] == SOURCE_FITTED).all()
    assert (df["cost_generic_transistors"] == df["generic_transistors"]).fillna(True).all()
    assert df["pareto_area"].any()
    assert (tmp_path / "out" / "pareto_area.svg").exists()
