"""PE arrays with float accumulators and ``out_format`` on Verilator (and Icarus), bit-exact.

Float accumulator codes and ``out_format`` codes compare bit for bit (every NaN is the
format's canonical NaN on both sides); the float accumulator's error against the exact
GEMM is reported next to the verdict.
"""

from __future__ import annotations

import pytest

from hwgen.sim.fault import Fault
from hwgen.sim.verify import VerifyOptions, Waves, verify

pytestmark = pytest.mark.sim

MACS = 1 << 14


E4M3_FP16 = {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3", "acc_format": "fp16", "max_terms": 64}

FLOAT_CONFIGS = {
    "e4m3_fp16_2x2": (2, 2, E4M3_FP16),
    "e4m3_fp32_unfused_s2_3x2": (
        3, 2,
        {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3", "acc_format": "fp32",
         "acc_rounding": "unfused", "stages": 2, "max_terms": 128},
    ),
    "fp16_int8_fp16_flush_2x3": (
        2, 3,
        {"a_format": "fp16", "w_format": "int8", "acc_format": "fp16", "acc_subnormals": "flush",
         "max_terms": 32},
    ),
    "e5m2_bf16_4x4": (
        4, 4, {"a_format": "fp8_e5m2", "w_format": "fp8_e5m2", "acc_format": "bf16", "stages": 1},
    ),
}  # fmt: skip

# The default suite keeps one float array on Verilator; the others run with the slow marker.
DEFAULT_KEYS = ("e4m3_fp16_2x2",)


@pytest.mark.parametrize(
    "key",
    [k if k in DEFAULT_KEYS else pytest.param(k, marks=pytest.mark.slow) for k in FLOAT_CONFIGS],
)
def test_float_accumulator_array_bit_exact(array_design, key: str) -> None:
    rows, cols, kw = FLOAT_CONFIGS[key]
    r = verify(
        array_design(rows, cols, **kw), VerifyOptions(vectors=MACS, seed=4, waves=Waves.NEVER)
    )
    assert r.passed, r.summary()
    assert set(r.by_signal) == {"out_row", "out_data"}  # no out_flags: specials are codes
    assert r.checks >= MACS + MACS // 8
    e = r.acc_error
    assert e is not None and e.count > 0
    assert 0.0 < e.mean_rel <= e.max_rel
    assert "vs the exact GEMM" in r.summary()


OUT_CONFIGS = {
    "int8_out_fp16_3x2": (3, 2, {"a_format": "int8", "w_format": "int8", "out_format": "fp16"}),
    "e5m2_int8_out_bf16_2x2": (
        2, 2, {"a_format": "fp8_e5m2", "w_format": "int8", "out_format": "bf16", "max_terms": 64},
    ),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("key", list(OUT_CONFIGS))
def test_out_format_array_bit_exact(array_design, key: str) -> None:
    rows, cols, kw = OUT_CONFIGS[key]
    r = verify(
        array_design(rows, cols, **kw), VerifyOptions(vectors=MACS, seed=6, waves=Waves.NEVER)
    )
    assert r.passed, r.summary()
    assert r.acc_error is None  # a fixed-point accumulator is exact
    if "e5m2" in key:
        assert r.by_signal.keys() == {"out_row", "out_data", "out_flags"}


@pytest.mark.slow
def test_negative_control_flipped_mantissa_bit(array_design) -> None:
    """Bit 0 of out_data (column 0's lowest mantissa bit, a rounding bit) flipped."""
    d = array_design(2, 2, **E4M3_FP16)
    opts = VerifyOptions(
        vectors=1 << 12, waves=Waves.NEVER, fault=Fault(lane=0, role="out_data", bit=0)
    )
    r = verify(d, opts)
    assert not r.passed and r.by_signal["out_data"] > 0 and r.by_signal["out_row"] == 0
    assert all("col 0" in m for m in r.first_mismatches)


@pytest.mark.slow
def test_long_float_array_gemm(array_design) -> None:
    rows, cols, kw = FLOAT_CONFIGS["e5m2_bf16_4x4"]
    r = verify(
        array_design(rows, cols, **kw), VerifyOptions(vectors=1 << 21, seed=9, waves=Waves.NEVER)
    )
    assert r.passed, r.summary()


def test_icarus_float_array_smoke(array_design) -> None:
    d = array_design(2, 2, **E4M3_FP16)
    r = verify(d, VerifyOptions(sim="icarus", vectors=1 << 9, waves=Waves.NEVER))
    assert r.passed, r.summary()
    assert r.acc_error is not None
