"""Tests of ``hwgen rank`` (hwgen.sweep.rank) and the ``fast_cost`` sweep stage."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

from hwgen.cli.main import main
from hwgen.costmodel.fast.model import load_fit
from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.sweep.rank import ORDERING, RANK_COLUMNS, parse_workload
from hwgen.sweep.stages.fast_cost import FastCostOptions, FastCostStage

SPECS = {
    "i8": 'kind = "mac"\na_format = "int8"\nw_format = "int8"\n',
    "f8i4": 'kind = "mac"\na_format = "fp8_e4m3"\nw_format = "int4"\n',
    "i4": 'kind = "mac"\na_format = "int4"\nw_format = "int4"\n',
    "arr": 'kind = "array"\na_format = "int4"\nw_format = "int4"\nrows = 2\ncols = 2\n'
    "max_terms = 256\n",
    "bm": 'kind = "bitmod_pe"\nact_format = "fp16"\ndot = 4\ngroup_size = 64\n',
}


@pytest.fixture
def specs(tmp_path: Path) -> list[str]:
    out = []
    for name, body in SPECS.items():
        p = tmp_path / f"{name}.toml"
        p.write_text("[design]\n" + body)
        out += ["--spec", str(p)]
    return out


def _run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_rank_fitted_json(specs: list[str]) -> None:
    code, out, err = _run("rank", *specs, "--model", "fitted", "--json")
    assert code == 0, err
    d = json.loads(out)
    rows = d["rows"]
    assert len(rows) == 5 and d["ordering"] == ORDERING
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert set(RANK_COLUMNS) <= set(rows[0])
    fit = load_fit("asic")
    assert d["model_error"] == fit.model_error()
    fams = {r["design"]: r["family"] for r in rows}
    assert sorted(set(fams.values())) == ["bitmod", "int", "minifloat"]
    for r in rows:
        assert r["area_um2"] > 0 and r["fmax_mhz"] > 0 and r["rel_mse"] > 0
        assert r["area_source"].endswith(fit.fit_id)
        assert r["throughput_per_area_unit"] == "MAC/s/um2"
        assert r["workload"] == "bert-base:128" and r["workload_time_ms"] > 0
        if r["kind"] == "bitmod_pe":
            assert r["energy_pj_per_mac"] is None and r["workload_energy_uj"] is None
        else:
            assert r["energy_pj_per_mac"] > 0 and r["workload_energy_uj"] > 0
    # Ordering: fronts first (both, one, none), then rel_mse within a class.
    cls = [-(r["pareto_area"] + r["pareto_energy"]) for r in rows]
    assert cls == sorted(cls)
    for a, b in itertools.pairwise(rows):
        if (a["pareto_area"] + a["pareto_energy"]) == (b["pareto_area"] + b["pareto_energy"]):
            assert a["rel_mse"] <= b["rel_mse"]
    # Pareto flags: no design on the area front is dominated by another.
    for r in rows:
        if r["pareto_area"]:
            assert not any(
                o["area_um2"] <= r["area_um2"]
                and o["rel_mse"] <= r["rel_mse"]
                and (o["area_um2"], o["rel_mse"]) != (r["area_um2"], r["rel_mse"])
                for o in rows
            )


def test_rank_csv_and_text(specs: list[str]) -> None:
    code, out, err = _run("rank", *specs[:6], "--model", "fitted", "--csv")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == ",".join(RANK_COLUMNS) and len(lines) == 4
    assert "held-out area MAPE" in err
    code, out, _ = _run("rank", *specs[:6], "--model", "fitted", "--workload", "64x256x256")
    assert code == 0 and out.splitlines()[0].startswith("rank")


@pytest.mark.parametrize(
    ("workload", "message"),
    [
        (
            "bert-huge",
            "unknown workload preset 'bert-huge'; known: bert-base, minilm-l6,"
            " llama2-7b-prefill, llama2-7b-decode",
        ),
        ("128x0x768", "workload shape 128x0x768 has a zero dimension; M, K and N must be >= 1"),
        ("128x768", "workload shape '128x768' must be MxKxN (three integers), e.g. 128x768x768"),
        ("bert-base:0", "workload length must be an integer >= 1, not '0'"),
    ],
)
def test_rank_bad_workload(specs: list[str], workload: str, message: str) -> None:
    code, out, err = _run("rank", *specs[:2], "--model", "fitted", "--workload", workload)
    assert (code, out) == (2, "")
    assert err == f"hwgen: error: {message}\n"


def test_rank_activation_file_that_does_not_fit(specs: list[str], tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.ones((4, 100)))
    code, out, err = _run(
        "rank", *specs[:2], "--model", "fitted", "--activations", str(tmp_path / "a.npy")
    )
    assert (code, out) == (2, "")
    assert err == (
        "hwgen: error: activation file a.npy has shape (4, 100); it must be A[M, K] with"
        " K = 512 (the weights' K)\n"
    )


def test_rank_fitted_without_a_fit(
    specs: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hwgen.costmodel.fast.model as model_mod

    monkeypatch.setattr(model_mod, "fits_dir", lambda: tmp_path / "none")
    code, out, err = _run("rank", *specs[:2], "--model", "fitted", "--target", "ecp5")
    assert (code, out) == (2, "")
    assert err == (
        "hwgen: error: no fitted cost model for target ecp5 (fitted targets: none); run"
        " hwgen cost fit --target ecp5 or use --model synth\n"
    )


def test_rank_needs_designs() -> None:
    code, _, err = _run("rank", "--model", "fitted")
    assert code == 2
    assert err == "hwgen: error: no designs to rank: give design directories or --spec FILE\n"


def test_parse_workload_shapes() -> None:
    wl = parse_workload("16x64x32,1x64x8")
    assert [(g.m, g.k, g.n) for g in wl.gemms] == [(16, 64, 32), (1, 64, 8)]
    with pytest.raises(HwgenError):
        parse_workload("0x1x1")


def test_fast_cost_stage_prices_a_point() -> None:
    stage = FastCostStage()
    (inst,) = stage.instances(FastCostOptions(("asic",)))
    assert inst.name == "fast_cost.asic" and inst.options.fit_id == load_fit("asic").fit_id
    cfg = MacConfig(a_format="int8", w_format="int4")
    point = SimpleNamespace(build=lambda: cfg)
    res = stage.run(point, inst.options, {}, None)  # type: ignore[arg-type]
    keys = {c.key for c in stage.columns(inst.options)}
    assert keys == set(res)
    assert res["area_um2"] > 0 and res["energy_pj_per_mac"] > 0
    assert res["source"].endswith(inst.options.fit_id)


def test_fast_model_only_sweep(tmp_path: Path) -> None:
    """``run = ["fast_cost"]``: a sweep priced by the fitted model alone, no tool run."""
    import pandas as pd

    from hwgen.sweep.runner import RunOptions, run_sweep

    spec = tmp_path / "fast.toml"
    spec.write_text(
        '[sweep]\nname = "fast"\n\n[axes]\nformats = ["int4:int4", "fp8_e4m3:fp8_e4m3"]\n'
        'stages = [0, 1]\n\n[fixed]\nfamily = "mac"\nmax_terms = 64\n\n'
        '[stages]\nrun = ["fast_cost"]\n\n[stages.fast_cost]\ntargets = ["asic", "ice40"]\n'
    )
    res = run_sweep(spec, tmp_path / "out", RunOptions(jobs=1))
    df = pd.read_csv(tmp_path / "out" / "results.csv")
    assert len(df) == 4 and res is not None
    fit = load_fit("asic")
    assert (df["fast_asic_area_um2"] > 0).all() and (df["fast_ice40_luts"] > 0).all()
    assert df["fast_asic_source"].str.contains(fit.fit_id).all()
    assert not (tmp_path / "out" / "designs").exists()  # nothing generated
    # the FP8 MAC costs more than the INT4 one at each stage count, as synthesis says
    area = df.set_index(["a_format", "stages"])["fast_asic_area_um2"]
    assert (area["fp8_e4m3"] > area["int4"]).all()
