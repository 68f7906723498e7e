"""``hwgen formats list`` / ``table`` and the value spelling, checked against the registry."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from hwgen.cli.output import format_value, render_csv, render_table
from hwgen.errors import UnknownFormatError
from hwgen.formats import MinifloatFormat, MixtureFormat, get, get_format, names

TABLE_FORMATS = [
    "int4",
    "uint3",
    "fp4_e2m1",
    "fp6_e3m2",
    "fp8_e4m3",
    "fp8_e5m2",
    "flint4",
    "bitmod_fp3_ea_neg",
    "fp5_e2m2",  # parametric: accepted, though not listed
]


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _same_value(text: str, expected: float) -> bool:
    got = float(text)
    if math.isnan(expected):
        return math.isnan(got)
    return got == expected and math.copysign(1.0, got) == math.copysign(1.0, expected)


# ----------------------------------------------------------------------- format_value
@pytest.mark.parametrize(
    ("x", "text"),
    [
        (float("nan"), "nan"),
        (-float("nan"), "nan"),
        (float("inf"), "inf"),
        (-float("inf"), "-inf"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (np.float32(-0.0), "-0.0"),
        (0.1, "0.1"),
        (-57344.0, "-57344.0"),
        (2.0**-149, "1.401298464324817e-45"),
    ],
)
def test_format_value_spelling(x, text):
    assert format_value(x) == text


def test_format_value_round_trips():
    rng = np.random.default_rng(0)
    for x in rng.standard_normal(1000) * 10.0 ** rng.integers(-30, 30, 1000):
        assert float(format_value(x)) == x


def test_render_table_aligns_numbers_right_and_text_left():
    text = render_table(["name", "n"], [["a", 1], ["bbb", 22.5]])
    assert text == "name     n\n----  ----\na        1\nbbb   22.5\n"


def test_render_csv_quotes_and_spells_floats():
    assert render_csv(["a", "b"], [["x,y", -0.0]]) == 'a,b\n"x,y",-0.0\n'


# ----------------------------------------------------------------------- formats list
def test_list_csv_matches_registry(cli):
    code, out, err = cli("formats", "list", "--csv")
    assert (code, err) == (0, "")
    rows = _csv_rows(out)
    assert [r["name"] for r in rows] == names()
    for row in rows:
        fmt = get(row["name"])
        variants = fmt.variants if isinstance(fmt, MixtureFormat) else (fmt,)
        assert int(row["bits"]) == fmt.bits
        assert row["kind"] == str(fmt.kind)
        assert float(row["max"]) == max(v.max_value for v in variants)
        assert float(row["min"]) == min(v.min_value for v in variants)
        assert float(row["min_positive"]) == min(v.min_positive for v in variants)
        expected_specials = str(fmt.specials) if isinstance(fmt, MinifloatFormat) else "none"
        assert row["specials"] == expected_specials


def test_list_table_has_one_line_per_format(cli):
    code, out, err = cli("formats", "list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["name", "bits", "kind", "min", "max", "min_positive", "specials"]
    assert [line.split()[0] for line in lines[2:]] == names()


# ---------------------------------------------------------------------- formats table
@pytest.mark.parametrize("name", TABLE_FORMATS)
def test_table_csv_matches_values(cli, name):
    fmt = get_format(name)
    code, out, err = cli("formats", "table", name, "--csv")
    assert (code, err) == (0, "")
    rows = _csv_rows(out)
    values = fmt.values()
    assert len(rows) == len(values) == 2**fmt.bits
    for expected_code, row in enumerate(rows):
        assert int(row["code"]) == expected_code
        assert row["bits"] == format(expected_code, f"0{fmt.bits}b")
        assert row["hex"].startswith("0x")
        assert int(row["hex"], 16) == expected_code
        assert row["value"] == format_value(values[expected_code])
        assert _same_value(row["value"], float(values[expected_code]))


@pytest.mark.parametrize("name", ["fp4_e2m1", "fp8_e5m2"])
def test_table_text_matches_csv(cli, name):
    _, text, _ = cli("formats", "table", name)
    _, csv_text, _ = cli("formats", "table", name, "--csv")
    lines = text.splitlines()
    assert lines[0].split() == ["code", "bits", "hex", "value"]
    assert [line.split() for line in lines[2:]] == [list(r.values()) for r in _csv_rows(csv_text)]


def test_fp8_e5m2_special_spellings(cli):
    fmt = get("fp8_e5m2")
    _, out, _ = cli("formats", "table", "fp8_e5m2", "--csv")
    spelled = {int(r["code"]): r["value"] for r in _csv_rows(out)}
    assert fmt.nan_codes and {spelled[c] for c in fmt.nan_codes} == {"nan"}
    assert sorted(spelled[c] for c in fmt.inf_codes) == ["-inf", "inf"]
    for c in fmt.inf_codes:
        assert spelled[c] == ("inf" if fmt.values()[c] > 0 else "-inf")
    zeros = [c for c, text in spelled.items() if text in ("0.0", "-0.0")]
    assert sorted(spelled[c] for c in zeros) == ["-0.0", "0.0"]
    for c in zeros:
        assert spelled[c] == ("-0.0" if np.signbit(fmt.values()[c]) else "0.0")


def test_table_hex_width_follows_bits(cli):
    _, out, _ = cli("formats", "table", "fp6_e2m3", "--csv")
    assert {len(r["hex"]) for r in _csv_rows(out)} == {4}  # 0x + 2 digits for 6 bits


def test_table_unknown_name_is_one_line(cli):
    with pytest.raises(UnknownFormatError) as info:
        get("fp4_e2m2")
    assert cli("formats", "table", "fp4_e2m2") == (2, "", f"hwgen: error: {info.value}\n")


def test_table_of_mixture_names_its_variants(cli):
    with pytest.raises(UnknownFormatError) as info:
        get_format("bitmod_fp4")
    code, out, err = cli("formats", "table", "bitmod_fp4", "--csv")
    assert (code, out, err) == (2, "", f"hwgen: error: {info.value}\n")
    assert "bitmod_fp4_er_pos" in err


def test_list_shows_narrow_integers_with_their_minimum(cli):
    _, out, _ = cli("formats", "list", "--csv")
    rows = {r["name"]: r for r in _csv_rows(out)}
    assert rows["int4_narrow"]["min"] == "-7.0" and rows["int4"]["min"] == "-8.0"
    assert rows["int4_narrow"]["max"] == "7.0"
    assert all(f"int{n}_narrow" in rows for n in range(2, 17))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["formats", "table"], "Missing argument 'NAME'. (see `hwgen formats table --help`)"),
        (
            ["formats", "tables"],
            "No such command 'tables'. Did you mean 'table'? (see `hwgen formats --help`)",
        ),
        (
            ["formats", "list", "--tsv"],
            "No such option '--tsv'. Did you mean '--csv'? (see `hwgen formats list --help`)",
        ),
        (
            ["formats", "table", "fp16_e15m0"],
            "format 'fp16_e15m0': exp_bits 15 with man_bits 0 spans 32766 binades of values,"
            " more than float64's 2098; use at most 11 exponent bits",
        ),
    ],
)
def test_usage_errors_are_one_line(cli, args, message):
    assert cli(*args) == (2, "", f"hwgen: error: {message}\n")
