# amaranth: UnusedElaboratable=no
"""MacUnit: random cycle sequences against ``hwgen.golden.mac_trace`` / ``acc_to_format``."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.back import rtlil
from amaranth.hdl import Shape
from helpers import check_mac, run_mac
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.formats import Format
from hwgen.golden import FLAG_BITS
from hwgen.rtl.mac import MacUnit

CONFIGS = {
    "int8xint8": MacConfig(a_format="int8", w_format="int8"),
    "e4m3xe4m3": MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3"),
    "e5m2xe5m2": MacConfig(a_format="fp8_e5m2", w_format="fp8_e5m2"),
    "e2m1xe2m1": MacConfig(a_format="fp4_e2m1", w_format="fp4_e2m1"),
    "int8xe2m1": MacConfig(a_format="int8", w_format="fp4_e2m1"),
    "e4m3xint8": MacConfig(a_format="fp8_e4m3", w_format="int8"),
    "lmul_e4m3": MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", multiplier="lmul"),
    "lmul_e5m2xe2m3_s2": MacConfig(
        a_format="fp8_e5m2", w_format="fp6_e2m3", multiplier="lmul", stages=2
    ),
    "out_fp16": MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", out_format="fp16"),
    "out_e4m3_sat": MacConfig(
        a_format="fp8_e5m2",
        w_format="fp8_e5m2",
        acc_bits=24,
        overflow="saturate",
        out_format="fp8_e4m3",
    ),
    "int8_wrap12_s1": MacConfig(
        a_format="int8", w_format="int8", acc_bits=12, overflow="wrap", stages=1
    ),
    "int8_sat12": MacConfig(a_format="int8", w_format="int8", acc_bits=12, overflow="saturate"),
    "int8_sat20_s2": MacConfig(
        a_format="int8", w_format="int8", acc_bits=20, overflow="saturate", stages=2
    ),
    "e5m2_wrap24": MacConfig(
        a_format="fp8_e5m2", w_format="fp8_e5m2", acc_bits=24, overflow="wrap"
    ),
    "e4m3xint8_s4": MacConfig(a_format="fp8_e4m3", w_format="int8", stages=4),
    "int8_s2_partial": MacConfig(a_format="int8", w_format="int8", stages=2),
    "fp16xfp16_sat_s3_partial": MacConfig(
        a_format="fp16", w_format="fp16", acc_bits=48, overflow="saturate", stages=3
    ),
    "int8_window_s2_partial": MacConfig(
        a_format="int8", w_format="int8", acc_bits=10, overflow="saturate", stages=2
    ),
    "flint4xbitmod": MacConfig(a_format="flint4", w_format="bitmod_fp4_ea_neg"),
    "uint8xint4": MacConfig(a_format="uint8", w_format="int4", acc_bits=8, overflow="wrap"),
    "lmul_wrap6": MacConfig(
        a_format="fp8_e4m3", w_format="fp8_e4m3", multiplier="lmul", acc_bits=6, overflow="wrap"
    ),
    "e2m1_sat3_out": MacConfig(
        a_format="fp4_e2m1",
        w_format="fp4_e2m1",
        acc_bits=3,
        overflow="saturate",
        out_format="fp4_e2m1",
    ),
    "e4m3_window16_sat": MacConfig(
        a_format="fp8_e4m3", w_format="fp8_e4m3", acc_bits=16, overflow="saturate", acc_lsb=-8
    ),
    "bf16xint4_window40_s1": MacConfig(
        a_format="bf16", w_format="int4", acc_bits=40, overflow="saturate", acc_lsb=-20, stages=1
    ),
    "lmul_window_wrap": MacConfig(
        a_format="fp8_e4m3",
        w_format="fp8_e4m3",
        multiplier="lmul",
        acc_bits=12,
        overflow="wrap",
        acc_lsb=-6,
    ),
    "int8xe2m1_window_wrap_out": MacConfig(
        a_format="int8",
        w_format="fp4_e2m1",
        acc_bits=10,
        overflow="wrap",
        acc_lsb=2,
        out_format="fp16",
    ),
    "fp16xe4m3_sat_s4_out": MacConfig(
        a_format="fp16",
        w_format="fp8_e4m3",
        acc_bits=48,
        overflow="saturate",
        stages=4,
        out_format="fp16",
    ),
}


def _codes(fmt: Format, rng: np.random.Generator, n: int) -> np.ndarray:
    """Random codes biased toward specials, zeros and the extremes."""
    finite = np.flatnonzero(fmt.finite_mask)
    vals = fmt.values()[finite]
    pool = [
        *fmt.nan_codes,
        *fmt.inf_codes,
        int(finite[np.argmax(vals)]),
        int(finite[np.argmin(vals)]),
        int(finite[np.argmin(np.abs(vals))]),
    ]
    special = rng.random(n) < 0.2
    return np.where(
        special, rng.choice(np.array(pool), n), rng.integers(0, 1 << fmt.bits, n)
    ).astype(np.int64)


def _sequence(cfg: MacConfig, seed: int, n: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    valid = rng.random(n) < 0.85
    clear = rng.random(n) < 0.08
    return _codes(cfg.a, rng, n), _codes(cfg.w, rng, n), valid, clear


@pytest.mark.parametrize("key", list(CONFIGS))
def test_random_sequence_matches_golden(key: str) -> None:
    cfg = CONFIGS[key]
    check_mac(cfg, *_sequence(cfg, seed=len(key), n=150))


@settings(max_examples=6, deadline=None)
@given(key=st.sampled_from(list(CONFIGS)), seed=st.integers(0, 2**32 - 1))
def test_hypothesis_sequences(key: str, seed: int) -> None:
    cfg = CONFIGS[key]
    check_mac(cfg, *_sequence(cfg, seed=seed, n=60))


@pytest.mark.parametrize("stages", [0, 1, 3])
def test_clear_valid_corner_cases(stages: int) -> None:
    cfg = MacConfig(a_format="fp8_e5m2", w_format="int8", stages=stages)
    f = cfg.a
    two, pinf, ninf = int(f.encode(2.0)), int(f.encode(np.inf)), int(f.encode(-np.inf))
    nan = f.nan_codes[0]
    #            hold  acc   clr-only  clr+v   +inf  -inf  hold  clr+v  nan  clr  idle
    a = [two, two, two, two, pinf, ninf, two, two, nan, two, two]
    w = [3, 5, 7, 9, 1, 1, 1, 11, 2, 1, 1]
    valid = [0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0]
    clear = [0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0]
    check_mac(cfg, a, w, valid, clear)
    hw = run_mac(cfg, a, w, valid, clear)
    assert hw.acc[1] == 10 << -cfg.accumulator.lsb_exp  # 2 * 5 in LSB units
    nan_bit, p_bit, n_bit = (1 << FLAG_BITS[k] for k in ("nan", "pinf", "ninf"))
    assert hw.flags[5] == nan_bit | p_bit | n_bit  # +inf + -inf
    assert hw.flags[7] == 0 and hw.flags[8] == nan_bit and hw.flags[9] == 0


def test_ports_and_roles() -> None:
    cfg = CONFIGS["out_fp16"]
    unit = cfg.create()
    members = unit.signature.members
    widths = {name: Shape.cast(m.shape).width for name, m in members.items()}
    assert widths == {
        "a": cfg.a.bits,
        "w": cfg.w.bits,
        "valid": 1,
        "clear": 1,
        "acc": cfg.accumulator.bits,
        "flags": 3,
        "out": cfg.out.bits,
    }
    # The signature is the config's port list (roles equal names for a MAC).
    assert {p.name: str(p.role) for p in cfg.ports()} == {
        "clk": "clk", "rst": "rst", **{name: name for name in members}
    }  # fmt: skip
    plain = CONFIGS["int8xint8"].create()
    assert set(plain.signature.members) == {"a", "w", "valid", "clear", "acc"}
    for component in (unit, plain):
        rtlil.convert(component, emit_src=False)


@pytest.mark.parametrize("key", list(CONFIGS))
def test_converts_to_rtlil(key: str) -> None:
    text = rtlil.convert(CONFIGS[key].create(), emit_src=False)
    assert "module" in text and "/work/" not in text


def test_int_datapath_is_lean() -> None:
    """INT x INT: one multiplier, one adder, no shifter and no negation."""
    text = rtlil.convert(CONFIGS["int8xint8"].create(), emit_src=False)
    cells = [line.split()[1] for line in text.splitlines() if line.strip().startswith("cell ")]
    assert cells.count("$mul") == 1
    assert cells.count("$add") == 1
    for kind in ("$shl", "$sshl", "$shr", "$sshr", "$shift", "$shiftx", "$neg", "$sub"):
        assert kind not in cells


def test_rejects_non_config() -> None:
    with pytest.raises(HwgenError, match="config must be a MacConfig, not dict"):
        MacUnit(config={"a_format": "int8"})  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("key", list(CONFIGS))
def test_verilog_is_lint_clean(key: str, tmp_path) -> None:
    """Through the emitter's Yosys post-pass, ``verilator --lint-only -Wall`` stays silent."""
    from hwgen.emit import to_verilog
    from hwgen.tools.lint import verilator_lint

    cfg = CONFIGS[key]
    path = tmp_path / f"{cfg.name}.v"
    path.write_text(to_verilog(cfg.create(), top=cfg.name))
    assert verilator_lint([path], cfg.name).warnings == []


FLOAT_CONFIGS = {
    "e4m3_fp32_fused": MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", acc_format="fp32"),
    "fp16_fp16_unf_s3": MacConfig(
        a_format="fp16", w_format="fp16", acc_format="fp16", acc_rounding="unfused", stages=3
    ),
    "fp16_int8_ftz_s1": MacConfig(
        a_format="fp16", w_format="int8", acc_format="fp16", acc_subnormals="flush", stages=1
    ),
    "e5m2_bf16_lmul": MacConfig(
        a_format="fp8_e5m2", w_format="fp8_e5m2", acc_format="bf16", multiplier="lmul"
    ),
    "int4_e4m3acc_s2": MacConfig(
        a_format="int4", w_format="fp4_e2m1", acc_format="fp8_e4m3", stages=2
    ),
}


@pytest.mark.parametrize("key", list(FLOAT_CONFIGS))
def test_float_accumulator_matches_golden(key: str) -> None:
    cfg = FLOAT_CONFIGS[key]
    check_mac(cfg, *_sequence(cfg, seed=len(key), n=120))
