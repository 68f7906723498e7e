"""``hwgen demo``: value tables, the quantization-error ranking, then the hardware job."""

from __future__ import annotations

import pytest

from hwgen.cli.demo_cmd import (
    DEFAULT_DIST,
    DEFAULT_FORMATS,
    DEFAULT_GROUP_SIZE,
    DEFAULT_SEED,
    parse_format_list,
    side_by_side,
)
from hwgen.cli.output import format_value
from hwgen.errors import HwgenError, UnknownFormatError
from hwgen.formats import get, get_format


def _ranking_lines(out: str) -> list[list[str]]:
    """The rows of the last table in the demo output (the ranking)."""
    lines = out.splitlines()
    header = max(i for i, line in enumerate(lines) if line.split()[:2] == ["rank", "format"])
    return [line.split() for line in lines[header + 2 :]]


def test_parse_format_list_accepts_defaults():
    assert parse_format_list(",".join(DEFAULT_FORMATS)) == list(DEFAULT_FORMATS)
    assert parse_format_list(" int4 , fp4_e2m1") == ["int4", "fp4_e2m1"]


def test_parse_format_list_empty_entry():
    with pytest.raises(HwgenError) as info:
        parse_format_list("int4,,fp4_e2m1")
    assert str(info.value) == (
        "--formats 'int4,,fp4_e2m1' has an empty entry;"
        " give comma-separated names such as int4,fp4_e2m1"
    )


def test_parse_format_list_repeated_name():
    with pytest.raises(HwgenError) as info:
        parse_format_list("int4,fp4_e2m1,int4")
    assert (
        str(info.value)
        == "--formats 'int4,fp4_e2m1,int4' names 'int4' twice; give each format once"
    )


def test_side_by_side_uses_each_formats_values():
    columns = [get_format("fp4_e2m1"), *get("bitmod_fp3").variants]
    headers, rows = side_by_side(columns)
    assert headers == ["code", *(f.name for f in columns)]
    assert len(rows) == 16
    for code, row in enumerate(rows):
        assert row[0] == code
        for fmt, cell in zip(columns, row[1:], strict=True):
            if code < 2**fmt.bits:
                assert format_value(cell) == format_value(fmt.values()[code])
            else:
                assert cell == ""


def test_demo_rejects_bad_format_list_before_any_output(cli):
    with pytest.raises(UnknownFormatError) as info:
        get("fp4_e2m0")
    assert cli("demo", "--formats", "int4,fp4_e2m0") == (2, "", f"hwgen: error: {info.value}\n")


def test_demo_rejects_zero_group_size(cli):
    code, out, err = cli("demo", "--group-size", "0")
    assert (code, out) == (2, "")
    assert "--group-size" in err


def test_demo_ranks_like_the_library(cli):
    from hwgen.quant import rank_formats, synthetic_tensors

    chosen = ["int4", "fp4_e2m1", "bitmod_fp3", "int8"]
    code, out, err = cli(
        "demo", "--formats", ",".join(chosen), "--group-size", "32", "--no-hardware"
    )
    assert (code, err) == (0, "")
    expected = rank_formats(synthetic_tensors(DEFAULT_DIST, DEFAULT_SEED), chosen, group_size=32)
    rows = _ranking_lines(out)
    assert [r[1] for r in rows] == list(expected["format"])
    assert [r[0] for r in rows] == [str(i) for i in range(1, len(chosen) + 1)]
    assert [float(r[2]) for r in rows] == pytest.approx(list(expected["bits_per_weight"]), abs=6e-4)
    assert [float(r[3]) for r in rows] == pytest.approx(list(expected["rel_mse"]), rel=1e-3)
    assert [float(r[4]) for r in rows] == pytest.approx(list(expected["sqnr_db"]), abs=0.006)


def test_demo_default_run_shows_value_tables_and_all_formats(cli):
    code, out, err = cli("demo", "--no-hardware")
    assert (code, err) == (0, "")
    assert "bitmod_fp3_er_pos" in out and "fp4_e2m1" in out
    assert sorted(r[1] for r in _ranking_lines(out)) == sorted(DEFAULT_FORMATS)
    assert f"group of {DEFAULT_GROUP_SIZE}" in out


def test_demo_unknown_distribution_is_one_line(cli):
    from hwgen.quant import synthetic_tensors

    with pytest.raises(HwgenError) as info:
        synthetic_tensors("cauchy", 0)
    assert cli("demo", "--dist", "cauchy") == (2, "", f"hwgen: error: {info.value}\n")


def test_demo_prints_its_spec(cli):
    from hwgen.sweep.demo import DEMO_SPEC

    assert cli("demo", "--print-spec") == (0, DEMO_SPEC.read_text(encoding="utf-8"), "")


def test_demo_refuses_an_out_dir_of_another_sweep_before_any_output(cli, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    code, out, err = cli("demo", "--out", str(tmp_path))
    assert (code, out) == (2, "")
    assert err.startswith("hwgen: error: ") and err.count("\n") == 1
    assert str(tmp_path) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_demo_rejects_out_that_is_a_file(cli, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    code, out, err = cli("demo", "--out", str(target))
    assert (code, out) == (2, "")
    assert err == f"hwgen: error: --out {str(target)!r} is a file, not a directory\n"


@pytest.mark.sim
@pytest.mark.slow  # the whole default sweep: 12 designs generated, verified, costed (minutes)
def test_demo_runs_the_default_sweep_end_to_end(cli, tmp_path):
    import pandas as pd

    out_dir = tmp_path / "demo"
    code, out, err = cli("demo", "--out", str(out_dir), "--jobs", "2", "--progress", "none")
    assert code == 0, err
    df = pd.read_csv(out_dir / "results.csv")
    assert len(df) == 12 and (df["status"] == "ok").all()
    assert (df["verify_status"] == "pass").all()
    assert df["asic_area_um2"].gt(0).all() and df["asic_fmax_mhz"].gt(0).all()
    assert df["ice40_luts"].gt(0).all()
    assert df["workload_throughput_gmacs_per_s_mm2"].gt(0).all()
    assert set(df["design_class"]) == {"int", "minifloat", "bitmod"}
    assert df["pareto_area"].any() and df["pareto_throughput_per_area"].any()
    for d in df["rtl_dir"]:
        assert (out_dir / d / "manifest.json").is_file()
    for name in ("results.parquet", "report.html", "pareto_area.png", "pareto_energy.svg",
                 "pareto_throughput_per_area.png"):  # fmt: skip
        assert (out_dir / name).is_file(), name
    assert f"outputs in {out_dir.resolve()}" in out and "designs/" in out
