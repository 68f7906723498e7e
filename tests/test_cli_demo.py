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


def test_demo_rejects_bad_pair_before_any_output(cli):
    assert cli("demo", "--pairs", "int8") == (
        2,
        "",
        "hwgen: error: design pair 'int8' is not ACT:WEIGHT (e.g. fp8_e4m3:int8)\n",
    )


def test_demo_rejects_out_that_is_a_file(cli, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    code, out, err = cli("demo", "--out", str(target))
    assert (code, out) == (2, "")
    assert err == f"hwgen: error: --out {str(target)!r} is a file, not a directory\n"


@pytest.mark.sim
@pytest.mark.slow  # generates, verifies and synthesizes two designs (the longest CLI test)
def test_demo_hardware_job_end_to_end(cli, tmp_path):
    import pandas as pd

    from hwgen.sweep.demo import pareto_mask

    code, out, err = cli(
        "demo",
        "--formats",
        "int4,fp4_e2m1",
        "--pairs",
        "int4:int4,fp4_e2m1:fp4_e2m1",
        "--vectors",
        "2000",
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    df = pd.read_csv(tmp_path / "results.csv")
    assert df["transistors"].is_monotonic_increasing  # cheapest first
    assert df["verified"].all() and (df["mismatches"] == 0).all()
    assert (df["checks"] >= 256 + 2000).all()  # every operand pair plus the random cycles
    assert df["area_source"].str.contains("yosys").all()
    assert list(df["pareto"]) == list(pareto_mask(df["transistors"], df["weight_sqnr_db"]))
    assert (tmp_path / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for design in df["design"]:
        assert (tmp_path / design / "manifest.json").is_file()
        assert design in out
    # The output directory holds designs and results only: builds went to the cache.
    assert not (tmp_path / "sim_build").exists()
    assert {p.name for p in tmp_path.iterdir()} == {*df["design"], "results.csv", "pareto.png"}
