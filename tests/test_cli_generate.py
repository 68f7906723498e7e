"""``hwgen generate``: mac, array and --spec, through click's CliRunner."""

from __future__ import annotations

import pytest
from helpers import invoke_cli

from hwgen.cli.generate_cmd import DEFAULT_ROOT, generate
from hwgen.cli.main import HwgenGroup
from hwgen.design.array import ArrayConfig
from hwgen.design.mac import MacConfig
from hwgen.emit.manifest import Manifest


@pytest.fixture
def hwgen():
    """``hwgen`` with the generate group and the real error boundary."""
    group = HwgenGroup(name="hwgen")
    group.add_command(generate)

    def run(*args: str):
        return invoke_cli(["generate", *args], command=group)

    return run


def test_generate_mac(hwgen, tmp_path):
    out = tmp_path / "m"
    code, stdout, stderr = hwgen(
        "mac", "--a-format", "int8", "--w-format", "int8", "--stages", "1", "--out", str(out)
    )
    assert (code, stderr) == (0, "")
    cfg = MacConfig(a_format="int8", w_format="int8", stages=1)
    m = Manifest.load(out)
    assert m.config == cfg.to_dict()
    assert stdout.splitlines()[0] == f"wrote {out}/"
    assert f"top:         {cfg.name}" in stdout
    assert f"latency:     {cfg.latency} cycle(s)" in stdout
    assert f"accumulator: {cfg.accumulator.bits} bits" in stdout


def test_generate_mac_all_options(hwgen, tmp_path):
    out = tmp_path / "m"
    args = [
        "mac", "--a-format", "fp8_e4m3", "--w-format", "fp8_e4m3", "--acc-bits", "24",
        "--max-terms", "64", "--stages", "2", "--overflow", "saturate", "--multiplier", "lmul",
        "--out-format", "fp16", "--out", str(out),
    ]  # fmt: skip
    code, stdout, stderr = hwgen(*args)
    assert (code, stderr) == (0, "")
    want = MacConfig(
        a_format="fp8_e4m3", w_format="fp8_e4m3", acc_bits=24, max_terms=64, stages=2,
        overflow="saturate", multiplier="lmul", out_format="fp16",
    )  # fmt: skip
    assert Manifest.load(out).config == want.to_dict()
    assert "output:      fp16 (rne)" in stdout


def test_generate_mac_float_accumulator(hwgen, tmp_path):
    out = tmp_path / "m"
    args = [
        "mac", "--a-format", "fp16", "--w-format", "int8", "--acc-format", "fp16",
        "--acc-rounding", "unfused", "--acc-subnormals", "flush", "--stages", "1",
        "--out", str(out),
    ]  # fmt: skip
    code, stdout, stderr = hwgen(*args)
    assert (code, stderr) == (0, "")
    want = MacConfig(
        a_format="fp16", w_format="int8", acc_format="fp16", acc_rounding="unfused",
        acc_subnormals="flush", stages=1,
    )  # fmt: skip
    m = Manifest.load(out)
    assert m.config == want.to_dict() and m.top == want.name
    assert "accumulator: float fp16, unfused, subnormals flush" in stdout


def test_generate_spec_float_accumulator(hwgen, tmp_path):
    spec = tmp_path / "d.toml"
    spec.write_text(
        '[design]\nkind = "mac"\na_format = "fp8_e4m3"\nw_format = "fp8_e4m3"\n'
        'acc_format = "fp32"\n'
    )
    out = tmp_path / "o"
    code, _, stderr = hwgen("--spec", str(spec), "--out", str(out))
    assert (code, stderr) == (0, "")
    want = MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", acc_format="fp32")
    assert Manifest.load(out).config == want.to_dict()


def test_generate_array_default_directory(hwgen, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = hwgen(
        "array", "--rows", "2", "--cols", "3", "--a-format", "fp4_e2m1", "--w-format", "int8"
    )
    assert code == 0
    cfg = ArrayConfig(mac=MacConfig(a_format="fp4_e2m1", w_format="int8"), rows=2, cols=3)
    out = tmp_path / DEFAULT_ROOT / cfg.name
    assert Manifest.load(out).array.rows == 2
    assert f"wrote {DEFAULT_ROOT / cfg.name}/" in stdout
    assert "array:       2 x 3" in stdout


def test_generate_array_float_accumulator(hwgen, tmp_path):
    out = tmp_path / "a"
    args = [
        "array", "--rows", "2", "--cols", "2", "--a-format", "fp8_e4m3", "--w-format",
        "fp8_e4m3", "--acc-format", "fp16", "--acc-rounding", "unfused", "--acc-subnormals",
        "flush", "--out", str(out),
    ]  # fmt: skip
    code, stdout, stderr = hwgen(*args)
    assert (code, stderr) == (0, "")
    want = ArrayConfig(
        mac=MacConfig(
            a_format="fp8_e4m3", w_format="fp8_e4m3", acc_format="fp16",
            acc_rounding="unfused", acc_subnormals="flush",
        ),
        rows=2, cols=2,
    )  # fmt: skip
    m = Manifest.load(out)
    assert m.config == want.to_dict() and m.top == want.name
    assert (m.accumulator.format, m.accumulator.rounding, m.accumulator.subnormals) == (
        "fp16", "unfused", "flush",
    )  # fmt: skip
    assert "accumulator: float fp16, unfused, subnormals flush" in stdout
    assert "array:       2 x 2" in stdout


def test_generate_array_spec_out_format(hwgen, tmp_path):
    spec = tmp_path / "d.toml"
    spec.write_text(
        '[design]\nkind = "array"\nrows = 2\ncols = 1\na_format = "int8"\nw_format = "int8"\n'
        'out_format = "bf16"\n'
    )
    out = tmp_path / "o"
    code, stdout, stderr = hwgen("--spec", str(spec), "--out", str(out))
    assert (code, stderr) == (0, "")
    want = ArrayConfig(
        mac=MacConfig(a_format="int8", w_format="int8", out_format="bf16"), rows=2, cols=1
    )
    m = Manifest.load(out)
    assert m.config == want.to_dict()
    assert m.port("out_data").width == 16 and not m.port("out_data").signed
    assert "output:      bf16 (rne)" in stdout


def test_generate_spec(hwgen, tmp_path):
    spec = tmp_path / "d.toml"
    spec.write_text('[design]\nkind = "mac"\na_format = "int4"\nw_format = "int4"\n')
    out = tmp_path / "o"
    code, _, stderr = hwgen("--spec", str(spec), "--out", str(out))
    assert (code, stderr) == (0, "")
    assert Manifest.load(out).config == MacConfig(a_format="int4", w_format="int4").to_dict()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["array", "--rows", "0", "--cols", "2", "--a-format", "int8", "--w-format", "int8"],
         "rows must be in 1..64, not 0"),
        (["--spec", "missing.toml"], "design spec not found: missing.toml"),
        (["mac", "--a-format", "int8", "--w-format", "int8", "--acc-bits", "20"],
         "acc_bits=20 is too narrow for exact accumulation of max_terms=4096 int8 x int8"
         " products: needs >= 28; use overflow='wrap' or 'saturate'"),
        (["mac", "--a-format", "int8", "--w-format", "int8", "--max-terms", "0"],
         "max_terms must be >= 1, not 0"),
        (["mac", "--a-format", "int8", "--w-format", "int8", "--stages", "-1"],
         "stages must be in 0..4, not -1"),
        (["mac", "--a-format", "int8", "--w-format", "int8", "--multiplier", "lmul"],
         "multiplier='lmul' needs float formats: a_format int8 is int"),
        (["mac", "--a-format", "bitmod_fp4", "--w-format", "int8"],
         "a_format='bitmod_fp4' is a per-group mixture; a MAC needs one format"),
        (["mac", "--a-format", "bf16", "--w-format", "bf16"],
         "exact accumulation of max_terms=4096 bf16 x bf16 products needs 535 bits"),
        (["mac", "--a-format", "fp8_e4m4", "--w-format", "int8"], "format 'fp8_e4m4'"),
        (["array", "--rows", "2", "--cols", "-1", "--a-format", "int8", "--w-format", "int8"],
         "cols must be in 1..64, not -1"),
        (["mac", "--a-format", "fp16", "--w-format", "fp16", "--acc-format", "int8"],
         "accumulator format 'int8' is int; a float accumulator needs a minifloat"),
        (["mac", "--a-format", "fp16", "--w-format", "fp16", "--acc-format", "fp8_e4m3_nosub",
          "--acc-subnormals", "flush"],
         "subnormals='flush' needs a format with subnormals; fp8_e4m3_nosub has none"),
        (["mac", "--a-format", "int8", "--w-format", "int8", "--acc-rounding", "unfused"],
         "acc_rounding='unfused' needs a float accumulator: set acc_format"),
        (["array", "--rows", "2", "--cols", "2", "--a-format", "int8", "--w-format", "int8",
          "--acc-format", "fp32", "--out-format", "fp16"],
         "out_format='fp16' does not apply to a float accumulator: acc already is a float code;"
         " leave it unset"),
        (["array", "--rows", "2", "--cols", "2", "--a-format", "fp8_e4m3", "--w-format",
          "fp8_e4m3", "--acc-format", "fp16", "--stages", "3"],
         "stages=3 is too many for a float accumulator with acc_rounding='fused': at most 2"
         " (normalised, input)"),
        (["array", "--rows", "2", "--cols", "2", "--a-format", "int8", "--w-format", "int8",
          "--out-format", "fp8_e4m3_nosub"],
         "out_format fp8_e4m3_nosub has no subnormals; choose a float format with them"),
        (["--spec", "x.toml", "mac", "--a-format", "int8", "--w-format", "int8"],
         "--spec/--out/--force before a subcommand are not allowed with 'generate mac'"),
    ],
)  # fmt: skip
def test_errors_are_one_line_exit_2(hwgen, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, _, stderr = hwgen(*args)
    assert code == 2
    assert stderr.startswith("hwgen: error: ") and stderr.count("\n") == 1
    assert message in stderr
    assert not (tmp_path / DEFAULT_ROOT).exists()


def test_out_is_a_file(hwgen, tmp_path):
    f = tmp_path / "f"
    f.write_text("")
    code, _, stderr = hwgen("mac", "--a-format", "int8", "--w-format", "int8", "--out", str(f))
    assert code == 2
    assert stderr == f"hwgen: error: output path {f} is a file; give a directory path\n"


def test_no_spec_no_subcommand_is_a_usage_error(hwgen):
    code, _, stderr = hwgen()
    assert code == 2
    assert "give --spec FILE or a subcommand: mac, array, bitmod-pe" in stderr


def test_unknown_overflow_choice_is_a_usage_error(hwgen):
    code, _, stderr = hwgen("mac", "--a-format", "int8", "--w-format", "int8", "--overflow", "clip")
    assert code == 2
    assert "'clip' is not one of 'exact', 'wrap', 'saturate'" in stderr


def test_generate_mac_window(hwgen, tmp_path):
    out = tmp_path / "m"
    args = [
        "mac", "--a-format", "bf16", "--w-format", "int4", "--acc-bits", "64",
        "--overflow", "saturate", "--acc-lsb", "-40", "--out", str(out),
    ]  # fmt: skip
    code, stdout, stderr = hwgen(*args)
    assert (code, stderr) == (0, "")
    man = Manifest.load(out)
    assert man.config["acc_lsb"] == -40
    assert (man.accumulator.lsb_exp, man.accumulator.rounding) == (-40, "floor")
    assert "64 bits x 2^-40, overflow saturate" in stdout
    assert "products rounded to 2^-40 (floor)" in stdout


def test_generate_mac_window_spec_and_warning(hwgen, tmp_path):
    spec = tmp_path / "d.toml"
    spec.write_text(
        '[design]\nkind = "mac"\na_format = "int8"\nw_format = "int8"\nacc_bits = 8\n'
        'overflow = "wrap"\nacc_lsb = 20\n'
    )
    code, _, stderr = hwgen("--spec", str(spec), "--out", str(tmp_path / "m"))
    assert code == 0
    # One line, once, although the config is built more than once.
    assert stderr.splitlines() == [
        "hwgen: warning: accumulator window 2^20.. holds no int8 x int8 product: every"
        " product is below its LSB (the largest is < 2^15) and adds 0, or -2^20 when"
        " negative (acc_lsb, floor truncation)"
    ]
    assert Manifest.load(tmp_path / "m").accumulator.lsb_exp == 20


def test_generate_mac_bad_window_is_one_line(hwgen, tmp_path):
    code, _, stderr = hwgen(
        "mac", "--a-format", "int8", "--w-format", "int8", "--acc-lsb", "2",
        "--out", str(tmp_path / "m"),
    )  # fmt: skip
    assert code == 2
    assert stderr == (
        "hwgen: error: acc_lsb=2 drops the product bits below 2^2 (the finest is 2^0);"
        " overflow='exact' keeps every bit: use overflow='wrap' or 'saturate'\n"
    )
    assert not (tmp_path / "m").exists()
