"""``hwgen sweep`` bad input: one line on stderr, exit 2, nothing written."""

from __future__ import annotations

import json

import pytest

SPEC = """[sweep]
name = "t"

[axes]
formats = ["int4:int4"]

[stages]
run = ["generate", "accuracy"]
"""


def _run(cli, tmp_path, *args, spec_text=SPEC):
    spec = tmp_path / "s.toml"
    spec.write_text(spec_text)
    code, out, err = cli("sweep", str(spec), *args)
    return code, out, err.replace(str(tmp_path), "TMP")


def _assert_bad(code, out, err, message):
    assert code == 2
    assert out == ""
    assert err == f"hwgen: error: {message}\n"


@pytest.mark.parametrize(
    ("spec_text", "message"),
    [
        (
            SPEC.replace('["int4:int4"]', "[]"),
            "TMP/s.toml:5: [axes] formats is empty; give at least one value",
        ),
        (
            SPEC + '\n[fixed]\nformats = "int8:int8"\n',
            "TMP/s.toml:11: [fixed] formats contradicts the axis [axes] formats (TMP/s.toml:5): a"
            " parameter is either swept or fixed",
        ),
        (
            SPEC.replace('["int4:int4"]', '["bitmod_fp4:int4"]'),
            "TMP/s.toml:5: cannot build mac bitmod_fp4 x int4 (axes): a_format='bitmod_fp4' is a"
            " per-group mixture; a MAC needs one format: one of bitmod_fp4_er_pos,"
            " bitmod_fp4_er_neg, bitmod_fp4_ea_pos, bitmod_fp4_ea_neg; set [constraints]"
            ' unbuildable = "skip" to skip such points',
        ),
        (
            SPEC + '\n[workload.accuracy]\nweights = { file = "w.npz" }\n',
            "TMP/s.toml:11: [workload.accuracy.weights] weights file 'TMP/w.npz' does not exist",
        ),
        (
            SPEC.replace('["int4:int4"]', '["fp16:fp4_e2m1"]')
            + '\n[fixed]\nfamily = "bitmod_pe"\n',
            "TMP/s.toml:5: cannot build bitmod_pe fp16 x fp4_e2m1 (axes): bitmod_pe weights must be"
            " one of bitmod_fp4, bitmod_fp3, int8, int6, int4, int3, not 'fp4_e2m1'; set"
            ' [constraints] unbuildable = "skip" to skip such points',
        ),
        (
            SPEC.replace('run = ["generate", "accuracy"]', 'run = ["generate", "cost"]')
            + '\n[stages.cost]\ntargets = ["generic"]\ndsp = true\n',
            "TMP/s.toml:12: [stages.cost] dsp = true needs an FPGA target (ice40, ecp5, xilinx),"
            " not generic",
        ),
        (
            SPEC.replace('run = ["generate", "accuracy"]', 'run = ["generate", "workload"]')
            + '\n[workload.gemm]\npreset = "bert-base"\n',
            "TMP/s.toml:8: [stages] run: stage 'workload' needs 'cost.asic'; add it to the list",
        ),
    ],
    ids=[
        "empty-axis",
        "contradiction",
        "unbuildable",
        "workload-file",
        "bitmod-weights",
        "dsp-without-fpga",
        "workload-without-asic",
    ],
)
def test_bad_spec(cli, tmp_path, spec_text, message):
    out = tmp_path / "out"
    _assert_bad(*_run(cli, tmp_path, "--out", str(out), spec_text=spec_text), message)
    assert not out.exists()


def test_unreadable_workload_file(cli, tmp_path):
    (tmp_path / "w.npz").write_bytes(b"PK\x03\x04 truncated")
    out = tmp_path / "out"
    text = SPEC + '\n[workload.accuracy]\nweights = { file = "w.npz" }\n'
    code, stdout, err = _run(cli, tmp_path, "--out", str(out), spec_text=text)
    _assert_bad(
        code,
        stdout,
        err,
        "TMP/s.toml:11: [workload.accuracy.weights] cannot read weights file 'TMP/w.npz':"
        " File is not a zip file",
    )
    assert not out.exists()


def test_out_dir_of_another_sweep(cli, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep.json").write_text(json.dumps({"sweep": "other", "spec": "other.toml"}))
    before = sorted(p.name for p in out.iterdir())
    _assert_bad(
        *_run(cli, tmp_path, "--out", str(out)),
        "output directory TMP/out holds the results of sweep 'other' (from other.toml), not"
        " 't'; give another --out",
    )
    assert sorted(p.name for p in out.iterdir()) == before


def test_out_dir_that_is_not_a_sweep(cli, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    _assert_bad(
        *_run(cli, tmp_path, "--out", str(out)),
        "output directory TMP/out is not empty and holds no sweep.json: it is not a sweep's"
        " output; give a new or empty directory",
    )
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_unreachable_scheduler(cli, tmp_path):
    out = tmp_path / "out"
    _assert_bad(
        *_run(
            cli,
            tmp_path,
            "--out",
            str(out),
            "--executor",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--connect-timeout",
            "0.5",
        ),
        "cannot reach the Dask scheduler at tcp://127.0.0.1:9: Timed out trying to connect to"
        " tcp://127.0.0.1:9 after 0.5 s",
    )
    assert not out.exists()


def test_scheduler_without_dask(cli, tmp_path):
    out = tmp_path / "out"
    _assert_bad(
        *_run(cli, tmp_path, "--out", str(out), "--scheduler", "tcp://127.0.0.1:9"),
        "--scheduler needs --executor dask (the local executor has none)",
    )
    assert not out.exists()


def test_missing_spec(cli, tmp_path):
    code, out, err = cli("sweep", str(tmp_path / "none.toml"))
    _assert_bad(code, out, err.replace(str(tmp_path), "TMP"), "sweep spec not found: TMP/none.toml")


def test_a_good_run_and_its_exit_code(cli, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = _run(cli, tmp_path, "--out", str(out), "--jobs", "1")
    assert code == 0, err
    assert "sweep t: 1 design point(s), 1 ok, 0 failed" in stdout
    assert "no Pareto front" in stdout  # no cost stage: nothing to rank by
    assert (out / "results.csv").is_file() and (out / "report.html").is_file()
