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
        assert r["workload_cycles"] > 0 and r["workload_sram_energy_uj"] > 0
        assert r["workload_source"].startswith("hwgen.costmodel.workload (BitMoD tiling")
        assert "SRAM 1.5625 pJ/bit: Horowitz" in r["workload_source"]
        assert "DRAM 20.3125 pJ/bit: Horowitz" in r["workload_source"]
        assert r["workload_dram_energy_uj"] > 0 and r["array_area_um2"] >= r["area_um2"]
        if r["kind"] == "bitmod_pe":
            assert r["energy_pj_per_mac"] is None and r["workload_energy_uj"] is None
            assert r["workload_compute_energy_uj"] is None
        else:
            assert r["energy_pj_per_mac"] > 0 and r["workload_energy_uj"] > 0
            parts = ("compute", "sram", "dram")
            total = sum(r[f"workload_{p}_energy_uj"] for p in parts)
            assert total == pytest.approx(r["workload_energy_uj"], rel=1e-12)
        if r["kind"] == "array":
            assert r["array"].endswith("[2x2]") and r["array_area_um2"] == r["area_um2"]
        else:
            assert r["array"].endswith("[32x32]")
            assert r["array_area_um2"] == pytest.approx(1024 * r["area_um2"])
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
        ("bert-base:0", "workload length must be a positive integer, not '0'"),
        ("minilm-l6:x", "workload length must be a positive integer, not 'x'"),
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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--activations", "outliers"),
            "activations must be a .npy/.npz file (FILE.npz:NAME for one of its arrays) or one"
            " of gaussian, laplace, student-t, student-t-outliers, not 'outliers'",
        ),
        (
            ("--act-scaling", "per-row"),
            "activation scaling must be one of none, per-tensor, per-token, per-group, mx, not"
            " 'per-row'",
        ),
        (("--array", "0x4"), "--array must be RxC with R, C >= 1 (e.g. 32x32), not '0x4'"),
        (
            ("--weights", "cauchy"),
            "weight distribution must be one of gaussian, laplace, student-t (or give a weight"
            " file), not 'cauchy'",
        ),
        (("--csv", "--json"), "--csv and --json exclude each other; choose one"),
    ],
)
def test_rank_bad_options(specs: list[str], args: tuple[str, ...], message: str) -> None:
    code, out, err = _run("rank", *specs[:2], "--model", "fitted", "--csv", *args)
    assert (code, out) == (2, "")
    assert err == f"hwgen: error: {message}\n"


def test_rank_activations_from_an_npz_member_with_named_scaling(
    specs: list[str], tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    npz = tmp_path / "acts.npz"
    np.savez(npz, a=rng.standard_normal((4, 512)), b=np.ones((2, 2)))
    code, out, err = _run("rank", *specs[:4], "--model", "fitted", "--activations", str(npz))
    assert (code, out) == (2, "")
    assert err == f"hwgen: error: activations file {str(npz)!r} holds 2 arrays (a, b); name one\n"
    runs = {}
    for scaling in ("per-token", "per-tensor"):
        code, out, err = _run(
            "rank", *specs[:4], "--model", "fitted", "--json",
            "--activations", f"{npz}:a", "--act-scaling", scaling,
        )  # fmt: skip
        assert code == 0, err
        runs[scaling] = {r["design"]: r for r in json.loads(out)["rows"]}
    for scaling, rows in runs.items():
        for r in rows.values():
            assert f"/{scaling} x " in r["accuracy_source"]
            assert r["accuracy_source"].endswith(
                f"activations acts.npz[a] (4, 512), {scaling} scaling"
            )
    # The scaling is part of the arithmetic: the FP8 x INT4 MAC's error changes with it.
    fp8 = {
        sc: next(r for r in rows.values() if r["a_format"] == "fp8_e4m3")
        for sc, rows in runs.items()
    }
    assert fp8["per-token"]["rel_mse"] != fp8["per-tensor"]["rel_mse"]


def test_rank_goes_on_past_a_float_accumulator_overflow(tmp_path: Path) -> None:
    """A design whose FP16 accumulator overflows is ranked last, with the reason stated."""
    rng = np.random.default_rng(0)
    np.save(tmp_path / "w.npy", rng.standard_normal((8, 128)))
    np.save(tmp_path / "a.npy", rng.standard_normal((4, 128)))
    for name, body in (
        ("i8", SPECS["i8"]),
        (
            "f16acc",
            'kind = "mac"\na_format = "fp8_e4m3"\nw_format = "fp8_e4m3"\nacc_format = "fp16"\n',
        ),
    ):
        (tmp_path / f"{name}.toml").write_text("[design]\n" + body)
    code, out, err = _run(
        "rank", "--spec", str(tmp_path / "f16acc.toml"), "--spec", str(tmp_path / "i8.toml"),
        "--model", "fitted", "--json",
        "--weights", str(tmp_path / "w.npy"), "--activations", str(tmp_path / "a.npy"),
    )  # fmt: skip
    assert code == 0, err
    reason = (
        "weight 'w': float accumulator fp16 overflows: 32 of 32 outputs end as inf/NaN after"
        " k = 0...127 (largest finite 65504 in code units); use a wider accumulator format"
    )
    bad = "mac_fp8_e4m3_x_fp8_e4m3_acc16_s0_accfp16_fused"
    assert f"hwgen: warning: {bad}: {reason}; ranked without an error figure\n" in err
    rows = json.loads(out)["rows"]
    assert [r["design"] for r in rows] == ["mac_int8_x_int8_acc28_s0", bad]
    assert rows[1]["rel_mse"] is None and rows[1]["sqnr_db"] is None
    assert rows[1]["accuracy_source"].endswith(reason)
    assert not rows[1]["pareto_area"] and rows[0]["rel_mse"] > 0


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
    # The summary states each fit's held-out error, as every fitted estimate does.
    ice40 = load_fit("ice40")
    summary = res.summary().splitlines()
    assert (
        f"fitted model, asic: source: {fit.label}; held-out area MAPE"
        f" {fit.model_error()['area_mape_pct']} %, energy MAPE"
        f" {fit.model_error()['energy_mape_pct']} %, Spearman {fit.model_error()['spearman']}"
        f" ({fit.model_error()['held_out_points']} held-out designs); validation area MAPE"
        f" {fit.model_error()['validation_area_mape_pct']} %, energy MAPE"
        f" {fit.model_error()['validation_energy_mape_pct']} %"
        f" ({fit.model_error()['validation_points']} designs outside the sample)"
    ) in summary
    assert any(
        line.startswith(f"fitted model, ice40: source: {ice40.label};") and "no energy fit" in line
        for line in summary
    )
    # ... and so does the report.
    report = (tmp_path / "out" / "report.html").read_text()
    assert f"<p>fitted model, asic: source: {fit.label}; held-out area MAPE" in report
    # the FP8 MAC costs more than the INT4 one at each stage count, as synthesis says
    area = df.set_index(["a_format", "stages"])["fast_asic_area_um2"]
    assert (area["fp8_e4m3"] > area["int4"]).all()


@pytest.mark.parametrize("key", ["arr", "bm"])
def test_rank_warns_of_a_kind_the_fit_does_not_cover(
    key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fit whose metrics cover MACs only (a copy of the shipped Xilinx fit, its kinds
    cut to ``mac`` and its fit id recomputed) leaves an array / BitMoD row's costs empty
    and says so, instead of pricing it from terms the fit never saw."""
    from hwgen.costmodel.fast import model as model_mod
    from hwgen.costmodel.fast.fit import fit_id_of, fits_dir

    target = "xilinx"
    data = json.loads((fits_dir() / f"{target}.json").read_text())
    for m in data["metrics"].values():
        m["kinds"] = ["mac"]
    body = {k: v for k, v in data.items() if k != "fit_id"}
    fits = tmp_path / "fits"
    fits.mkdir()
    (fits / f"{target}.json").write_text(json.dumps({"fit_id": fit_id_of(body), **body}))
    monkeypatch.setattr(model_mod, "fits_dir", lambda: fits)
    (tmp_path / "d.toml").write_text("[design]\n" + SPECS[key])
    (tmp_path / "i8.toml").write_text("[design]\n" + SPECS["i8"])
    code, out, err = _run(
        "rank", "--spec", str(tmp_path / "d.toml"), "--spec", str(tmp_path / "i8.toml"),
        "--model", "fitted", "--target", target, "--json",
    )  # fmt: skip
    assert code == 0, err
    kind = {"arr": "array", "bm": "bitmod_pe"}[key]
    fit = model_mod.load_fit(target)
    assert fit.fit_id == fit_id_of(body)
    assert (
        f"hwgen: warning: the {target} fit {fit.fit_id} covers no {kind} design; their cost"
        " columns stay empty (use --model synth)\n"
    ) in err
    rows = {r["kind"]: r for r in json.loads(out)["rows"]}
    assert rows[kind]["luts"] is None and rows[kind]["area_source"] is None
    assert rows["mac"]["luts"] > 0 and rows["mac"]["rel_mse"] > 0 and rows[kind]["rel_mse"] > 0


def test_rank_out_file_is_all_or_nothing(specs: list[str], tmp_path: Path) -> None:
    code, csv_stdout, _ = _run("rank", *specs[:4], "--model", "fitted", "--csv")
    assert code == 0
    out = tmp_path / "sub" / "rank.csv"
    code, stdout, err = _run("rank", *specs[:4], "--model", "fitted", "--csv", "--out", str(out))
    assert (code, stdout) == (0, "") and err.endswith(f"wrote {out}\n")
    assert out.read_text() == csv_stdout
    # Bad input: exit 2, one line, and the file is neither created nor touched.
    bad = tmp_path / "bad.csv"
    code, stdout, err = _run(
        "rank", *specs[:4], "--model", "fitted", "--csv", "--out", str(bad), "--workload", "nope"
    )
    assert (code, stdout) == (2, "") and not bad.exists()
    assert err.startswith("hwgen: error: unknown workload preset 'nope'") and err.count("\n") == 1
    code, _, err = _run("rank", *specs[:4], "--model", "fitted", "--out", str(tmp_path))
    assert (
        code == 2 and err == f"hwgen: error: --out {str(tmp_path)!r} is a directory, not a file\n"
    )
    under = out / "x.csv"
    code, _, err = _run("rank", *specs[:4], "--model", "fitted", "--out", str(under))
    assert code == 2
    assert err == f"hwgen: error: cannot write {under}: {out} is a file, not a directory\n"
    assert out.read_text() == csv_stdout


def test_rank_weights_from_a_named_distribution(specs: list[str]) -> None:
    err_of = {}
    for dist in ("gaussian", "student-t"):
        code, out, err = _run("rank", *specs[:4], "--model", "fitted", "--json", "--weights", dist)
        assert code == 0, err
        rows = json.loads(out)["rows"]
        assert all(f"synthetic {dist} W[512, 128] seed 0" in r["accuracy_source"] for r in rows)
        err_of[dist] = {r["design"]: r["rel_mse"] for r in rows}
    # Heavy tails cost a 4-bit weight format accuracy (absmax scales follow the outliers).
    for name, rel in err_of["gaussian"].items():
        if "x_int4" in name:
            assert rel < err_of["student-t"][name]


def test_rank_bitmod_points_of_a_sweep_spec_keep_their_weight_format(tmp_path: Path) -> None:
    """One BitMoD PE serving three weight formats: three rows, each scored on its format."""
    spec = tmp_path / "bm.toml"
    spec.write_text(
        '[sweep]\nname = "bm"\n\n[axes]\n'
        'formats = ["fp16:bitmod_fp4", "fp16:bitmod_fp3", "fp16:int6"]\n\n'
        '[fixed]\nfamily = "bitmod_pe"\n\n[stages]\nrun = ["fast_cost"]\n'
    )
    code, out, err = _run("rank", "--spec", str(spec), "--model", "fitted", "--json")
    assert code == 0, err
    rows = {r["w_format"]: r for r in json.loads(out)["rows"]}
    assert sorted(rows) == ["bitmod_fp3", "bitmod_fp4", "int6"]
    assert len({r["design"] for r in rows.values()}) == 1  # one PE config
    for w, r in rows.items():
        assert f" x {w}/" in r["accuracy_source"]
    # More weight bits, less error; INT6 takes 3 cycles per weight, FP4 / FP3 2.
    assert rows["int6"]["rel_mse"] < rows["bitmod_fp4"]["rel_mse"] < rows["bitmod_fp3"]["rel_mse"]
    assert rows["int6"]["workload_time_ms"] > rows["bitmod_fp4"]["workload_time_ms"]


def test_rank_refuses_a_weight_format_the_pe_does_not_serve() -> None:
    from hwgen.design.bitmod import BitmodPEConfig
    from hwgen.sweep.rank import RankOptions, rank_designs

    pe = BitmodPEConfig(act_format="fp16", dot=4, group_size=64, weight_types=("int8", "int4"))
    with pytest.raises(HwgenError) as e:
        rank_designs([(pe, None, "bitmod_fp4")], RankOptions(model="fitted"))
    assert str(e.value) == (
        "bitmod_pe_fp16_d4_g64_exact_int8_int4 serves the weight formats int8, int4, not"
        " 'bitmod_fp4'"
    )
    mac = MacConfig(a_format="int8", w_format="int8")
    with pytest.raises(HwgenError) as e:
        rank_designs([(mac, None, "int4")], RankOptions(model="fitted"))
    assert str(e.value) == (
        "a weight format is given for BitMoD PEs only, not for mac mac_int8_x_int8_acc28_s0"
    )
