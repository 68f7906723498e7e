"""MacConfig: validation messages, derived facts, (de)serialisation."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.golden import AccumulatorSpec, Multiplier, Overflow, accumulator_spec


def test_defaults_and_derived_facts() -> None:
    cfg = MacConfig(a_format="fp8_e4m3", w_format="int8")
    assert cfg.overflow is Overflow.EXACT and cfg.multiplier is Multiplier.EXACT
    assert cfg.accumulator == accumulator_spec("fp8_e4m3", "int8", 4096)
    assert cfg.a.name == "fp8_e4m3" and cfg.w.name == "int8"
    assert cfg.latency == 1 and cfg.out_latency == 0
    assert cfg.has_flags  # e4m3 has NaN codes
    assert not MacConfig(a_format="int8", w_format="fp4_e2m1").has_flags
    assert MacConfig(a_format="int8", w_format="int8", stages=3).latency == 4


def test_explicit_width_and_lsb() -> None:
    cfg = MacConfig(a_format="int8", w_format="int8", acc_bits=20, overflow="wrap")
    exact = accumulator_spec("int8", "int8", 4096)
    assert cfg.accumulator == AccumulatorSpec(bits=20, lsb_exp=exact.lsb_exp)
    assert cfg.overflow is Overflow.WRAP


def test_lmul_accumulator_uses_lmul_products() -> None:
    cfg = MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", multiplier="lmul")
    assert cfg.accumulator == accumulator_spec(
        "fp8_e4m3", "fp8_e4m3", 4096, multiplier=Multiplier.LMUL
    )


def test_name_is_stable_and_distinguishes_options() -> None:
    base = MacConfig(a_format="fp8_e4m3", w_format="int8")
    bits = base.accumulator.bits
    assert base.name == f"mac_fp8_e4m3_x_int8_acc{bits}_s0"
    variants = [
        base,
        MacConfig(a_format="fp8_e4m3", w_format="int8", stages=1),
        MacConfig(a_format="fp8_e4m3", w_format="int8", max_terms=256, acc_bits=bits),
        MacConfig(a_format="fp8_e4m3", w_format="int8", overflow="wrap"),
        MacConfig(a_format="fp8_e4m3", w_format="int8", overflow="saturate"),
        MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", multiplier="lmul"),
        MacConfig(a_format="fp8_e4m3", w_format="int8", out_format="fp16"),
    ]
    names = [v.name for v in variants]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9_]+", n) for n in names)
    assert MacConfig(a_format="FP8_E4M3", w_format="int8").name == base.name


def test_round_trip_through_json() -> None:
    cfg = MacConfig(
        a_format="fp8_e5m2",
        w_format="fp8_e4m3",
        max_terms=100,
        acc_bits=30,
        overflow=Overflow.SATURATE,
        stages=2,
        multiplier=Multiplier.LMUL,
        out_format="bf16",
    )
    d = json.loads(json.dumps(cfg.to_dict()))
    assert d["overflow"] == "saturate" and d["multiplier"] == "lmul"
    assert MacConfig.from_dict(d) == cfg
    assert hash(MacConfig.from_dict(d)) == hash(cfg)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"a_format": 8}, "a_format must be a format name (str), not 8"),
        ({"w_format": "int99"}, "integer bits must be in 2..16, not 99"),
        ({"w_format": "fp9_e9"}, "unknown format 'fp9_e9'"),
        (
            {"w_format": "bitmod_fp4"},
            "w_format='bitmod_fp4' is a per-group mixture; a MAC needs one format: one of"
            " bitmod_fp4_er_pos",
        ),
        ({"max_terms": 0}, "max_terms must be >= 1, not 0"),
        ({"max_terms": "4"}, "max_terms must be an integer, not '4'"),
        ({"overflow": "clip"}, "overflow must be one of exact, wrap, saturate, not 'clip'"),
        ({"multiplier": "fast"}, "multiplier must be one of exact, lmul, not 'fast'"),
        ({"stages": 5}, "stages must be in 0..4, not 5"),
        ({"stages": -1}, "stages must be in 0..4, not -1"),
        ({"stages": True}, "stages must be an integer, not True"),
        ({"acc_bits": 1, "overflow": "wrap"}, "acc_bits must be in 2..256, not 1"),
        ({"acc_bits": 300, "overflow": "wrap"}, "acc_bits must be in 2..256, not 300"),
        (
            {"acc_bits": 20},
            "acc_bits=20 is too narrow for exact accumulation of max_terms=4096 int8 x int8"
            " products: needs >= 28; use overflow='wrap' or 'saturate'",
        ),
        ({"multiplier": "lmul"}, "multiplier='lmul' needs float formats: a_format int8 is int"),
        ({"out_format": "int8"}, "out_format must be a float format, not int (int8)"),
        ({"out_format": "flint4"}, "out_format must be a float format, not table (flint4)"),
        ({"out_format": "fp8_e4m3_nosub"}, "out_format fp8_e4m3_nosub has no subnormals"),
        ({"out_format": 16}, "out_format must be a format name (str) or None, not 16"),
    ],
)
def test_bad_values(kwargs: dict, message: str) -> None:
    args = {"a_format": "int8", "w_format": "int8", **kwargs}
    with pytest.raises(HwgenError, match=re.escape(message)):
        MacConfig(**args)


def test_exact_accumulator_too_wide() -> None:
    with pytest.raises(HwgenError, match=r"products needs 5\d\d bits; at most 256 are supported"):
        MacConfig(a_format="bf16", w_format="bf16")
    wide = MacConfig(a_format="bf16", w_format="bf16", acc_bits=64, overflow="wrap")
    assert wide.accumulator.bits == 64


def test_keyword_only() -> None:
    with pytest.raises(TypeError):
        MacConfig("int8", "int8")  # type: ignore[misc]


def test_from_dict_errors() -> None:
    with pytest.raises(
        HwgenError,
        match="unknown mac config keys: acc; allowed: a_format, w_format, max_terms, acc_bits,"
        " acc_lsb, overflow, stages, multiplier, out_format",
    ):
        MacConfig.from_dict({"a_format": "int8", "w_format": "int8", "acc": 3})
    with pytest.raises(HwgenError, match="mac config is missing required keys: w_format"):
        MacConfig.from_dict({"a_format": "int8"})
    with pytest.raises(HwgenError, match="a mac config must be a mapping, not list"):
        MacConfig.from_dict([])  # type: ignore[arg-type]
    assert MacConfig.from_dict({"a_format": "int4", "w_format": "int4"}).max_terms == 4096


def test_create_builds_the_unit() -> None:
    from hwgen.rtl.mac import MacUnit

    unit = MacConfig(a_format="int4", w_format="int4").create()
    assert isinstance(unit, MacUnit)
    assert unit.config.a_format == "int4"
    from amaranth.back import rtlil

    rtlil.convert(unit, emit_src=False)  # elaborates without error


@settings(max_examples=40, deadline=None)
@given(
    a=st.sampled_from(["int8", "int4", "uint8", "fp8_e4m3", "fp8_e5m2", "fp4_e2m1", "flint4"]),
    w=st.sampled_from(["int8", "fp8_e4m3", "fp6_e3m2", "bitmod_fp3_er_pos", "fp3_e2m0"]),
    max_terms=st.integers(1, 1 << 20),
    overflow=st.sampled_from(list(Overflow)),
    narrow=st.integers(0, 12),
    stages=st.integers(0, 4),
    out=st.sampled_from([None, "fp16", "bf16", "fp8_e5m2"]),
)
def test_valid_configs_round_trip(a, w, max_terms, overflow, narrow, stages, out) -> None:
    exact = accumulator_spec(a, w, max_terms).bits
    acc_bits = None if overflow is Overflow.EXACT else max(2, exact - narrow)
    cfg = MacConfig(
        a_format=a,
        w_format=w,
        max_terms=max_terms,
        acc_bits=acc_bits,
        overflow=overflow,
        stages=stages,
        out_format=out,
    )
    assert MacConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert cfg.accumulator.bits == (exact if acc_bits is None else acc_bits)
    assert cfg.latency == 1 + stages
    assert re.fullmatch(r"mac_[a-z0-9_]+", cfg.name)


# ---------------------------------------------------------------------- float accumulator
def test_float_accumulator_facts() -> None:
    import numpy as np

    from hwgen.design.base import Role
    from hwgen.golden.float_acc import AccRounding, FloatAccSpec, Subnormals, float_mac_trace

    cfg = MacConfig(
        a_format="fp16", w_format="fp16", acc_format="fp16", acc_rounding="unfused", stages=3
    )
    assert cfg.acc_rounding is AccRounding.UNFUSED and cfg.acc_subnormals is Subnormals.KEEP
    assert cfg.float_acc == FloatAccSpec(format="fp16", rounding="unfused")
    assert cfg.name == "mac_fp16_x_fp16_acc16_s3_accfp16_unf"
    acc = {p.role: p for p in cfg.ports()}[Role.ACC]
    assert acc.width == 16 and not acc.signed
    assert not cfg.has_flags and Role.FLAGS not in {p.role for p in cfg.ports()}
    info = cfg.facts().accumulator.to_dict()
    assert (info["format"], info["rounding"], info["subnormals"]) == ("fp16", "unfused", "keep")
    assert info["bits"] == 16 and info["overflow"] == "inf"
    d = json.loads(json.dumps(cfg.to_dict()))
    assert MacConfig.from_dict(d) == cfg
    rng = np.random.default_rng(1)
    a, w = rng.integers(0, 1 << 16, 64), rng.integers(0, 1 << 16, 64)
    v, c = rng.random(64) < 0.9, rng.random(64) < 0.1
    got, flags = cfg.golden().trace(a, w, v, c)
    want = float_mac_trace("fp16", a, "fp16", w, v, c, spec=cfg.float_acc).acc
    assert np.array_equal(got, want) and not flags.any()
    ftz = MacConfig(a_format="fp16", w_format="int8", acc_format="fp16", acc_subnormals="flush")
    assert ftz.name == "mac_fp16_x_int8_acc16_s0_accfp16_fused_ftz"


def test_fixed_point_dict_has_no_float_keys() -> None:
    # Existing designs keep their dict, so their config hashes and names do not change.
    d = MacConfig(a_format="int8", w_format="int8").to_dict()
    assert not {"acc_format", "acc_rounding", "acc_subnormals"} & set(d)
    assert config_hash_of(d) == "33b4ec731c0f"


def config_hash_of(d: dict) -> str:
    from hwgen.design.base import config_hash

    return config_hash(d)[:12]


def test_table_format_operand_forms_fused_products() -> None:
    cfg = MacConfig(a_format="bitmod_fp4_er_pos", w_format="int8", acc_format="fp16")
    assert cfg.float_acc is not None and cfg.float_acc.fused


F = {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"acc_format": "int8"},
            "accumulator format 'int8' is int; a float accumulator needs a minifloat"
            " (fp32, fp16, bf16, fpN_eXmY)",
        ),
        (
            {"acc_format": "fp8_e4m3_nosub", "acc_subnormals": "flush"},
            "subnormals='flush' needs a format with subnormals; fp8_e4m3_nosub has none"
            " (use 'keep')",
        ),
        (
            {"acc_format": "fp32", "acc_bits": 32},
            "acc_bits=32 does not apply to a float accumulator (acc_format='fp32': its width"
            " is the format's); leave it unset",
        ),
        (
            {"acc_format": "fp32", "overflow": "wrap"},
            "overflow='wrap' does not apply to a float accumulator (overflow follows the"
            " format: inf, NaN or saturation); leave it unset",
        ),
        (
            {"acc_format": "fp32", "out_format": "fp16"},
            "out_format='fp16' does not apply to a float accumulator: acc already is a float"
            " code; leave it unset",
        ),
        (
            {"acc_rounding": "unfused"},
            "acc_rounding='unfused' needs a float accumulator: set acc_format",
        ),
        (
            {"acc_subnormals": "flush"},
            "acc_subnormals='flush' needs a float accumulator: set acc_format",
        ),
        (
            {"acc_format": "fp32", "acc_rounding": "x"},
            "acc_rounding must be one of fused, unfused, not 'x'",
        ),
        (
            {"acc_format": "fp16", "acc_rounding": "unfused", "stages": 4},
            "stages=4 is too many for a float accumulator with acc_rounding='unfused': at most"
            " 3 (rounded, normalised, input)",
        ),
        (
            {"acc_format": "fp32", "stages": 3},
            "stages=3 is too many for a float accumulator with acc_rounding='fused': at most"
            " 2 (normalised, input)",
        ),
        (
            {"acc_format": "fp4_e2m1"},
            "acc_format='fp4_e2m1' with fp8_e4m3 x fp8_e4m3: accumulator format fp4_e2m1 has"
            " no NaN or inf codes, but fp8_e4m3 x fp8_e4m3 products can be NaN or infinite;"
            " choose a format with specials",
        ),
        ({"acc_format": 3}, "acc_format must be a format name (str) or None, not 3"),
    ],
)
def test_float_accumulator_bad_values(kwargs: dict, message: str) -> None:
    with pytest.raises(HwgenError) as e:
        MacConfig(**F, **kwargs)
    assert str(e.value) == message


@settings(max_examples=40, deadline=None)
@given(
    a=st.sampled_from(["int8", "fp8_e4m3", "fp8_e5m2", "fp16", "fp4_e2m1", "flint4"]),
    acc=st.sampled_from(["fp32", "fp16", "bf16", "fp8_e5m2", "fp8_e4m3"]),
    rounding=st.sampled_from(["fused", "unfused"]),
    sub=st.sampled_from(["keep", "flush"]),
    stages=st.integers(0, 2),
)
def test_float_configs_round_trip(a, acc, rounding, sub, stages) -> None:
    cfg = MacConfig(
        a_format=a, w_format="int8", acc_format=acc, acc_rounding=rounding,
        acc_subnormals=sub, stages=stages,
    )  # fmt: skip
    assert MacConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert re.fullmatch(r"[a-z0-9_]+", cfg.name) and f"_acc{acc}_" in cfg.name
    assert cfg.accumulator.bits == cfg.float_acc.fmt.bits == cfg.ports()[6].width
    assert cfg.latency == 1 + stages and not cfg.has_flags
