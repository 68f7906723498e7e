"""Directed float-accumulator corners: generated from the formats, classified exactly.

The classifier of :mod:`hwgen.sim.corners` (one exact round-to-nearest-even step) is
checked against the golden model, so a corner called a tie really is one in the model the
hardware is compared with.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.golden.float_acc import float_mac_trace
from hwgen.sim.corners import CATEGORIES, float_corners

E4M3_FP32 = {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3", "acc_format": "fp32"}
FP16_UNF = {"a_format": "fp16", "w_format": "fp16", "acc_format": "fp16", "acc_rounding": "unfused"}
E5M2_E5M2 = {"a_format": "fp8_e5m2", "w_format": "fp8_e5m2", "acc_format": "fp8_e5m2"}


def _cfg(kw: dict) -> MacConfig:
    return MacConfig(max_terms=64, **kw)


@pytest.mark.parametrize("kw", [E4M3_FP32, FP16_UNF, E5M2_E5M2], ids=["e4m3-fp32", "fp16u", "e5m2"])
def test_every_category_is_generated_or_named_unreachable(kw: dict) -> None:
    c = float_corners(_cfg(kw), lanes=64)
    assert set(c.counts) == set(CATEGORIES)
    missing = {cat for cat, _ in c.unreachable}
    for cat in CATEGORIES:
        assert (c.counts[cat] > 0) != (cat in missing), cat
    # Every lane starts with a clear; every valid cycle's first step is clear + valid.
    assert c.stimulus.clear[:, 0].all()
    assert c.stimulus.lanes == 64
    # Deterministic: the same config gives the same stimulus.
    d = float_corners(_cfg(kw), lanes=64)
    assert np.array_equal(c.stimulus.a, d.stimulus.a) and c.counts == d.counts


def test_e4m3_into_fp32_reaches_every_exponent_difference_of_the_window() -> None:
    c = float_corners(_cfg(E4M3_FP32), lanes=64)
    assert dict(c.unreachable) == {
        "overflow": "the largest product x 64 stays below fp32's largest value",
        "subnormal": "no product reaches fp32's subnormal range",
    }
    # fp32: window max(23 + 5, 8 + 3) = 28; differences 0..30, 4 sequences (2 orders x
    # 2 signs) for each of up to 2 anchor binades.
    assert c.counts["expdiff"] >= 31 * 4
    assert c.counts["tie_even"] > 0 and c.counts["tie_odd"] > 0


def test_int8_into_fp32_names_what_two_products_cannot_reach() -> None:
    c = float_corners(_cfg({"a_format": "int8", "w_format": "int8", "acc_format": "fp32"}), lanes=8)
    why = dict(c.unreachable)
    assert why["expdiff"] == "differences 15..30 need more range than two products have"
    assert why["tie_even"] == "no sequence of up to three products is a fp32 tie"


def _value(code: int, fmt) -> Fraction:
    return Fraction(float(fmt.decode(np.array([code]))[0]))


@pytest.mark.parametrize("kw", [E4M3_FP32, FP16_UNF], ids=["e4m3-fp32", "fp16u"])
def test_ties_are_ties_of_the_golden_model(kw: dict) -> None:
    """At the last cycle of every tie corner the exact sum of the golden model's previous
    accumulator and the (unfused: rounded) product lies halfway between two neighbouring
    codes, and the golden model picks the even one."""
    cfg = _cfg(kw)
    c = float_corners(cfg, lanes=64)
    stim, spec = c.stimulus, cfg.float_acc
    assert spec is not None
    acc_fmt = spec.fmt
    tr = float_mac_trace(cfg.a, stim.a, cfg.w, stim.w, stim.valid, stim.clear, spec=spec).acc
    n = 0
    for cat in ("tie_even", "tie_odd"):
        for lane, t in c.ends[cat]:
            p = _value(int(stim.a[lane, t]), cfg.a) * _value(int(stim.w[lane, t]), cfg.w)
            if not spec.fused:
                p = _value(int(acc_fmt.encode(np.array([float(p)]))[0]), acc_fmt)
            exact = _value(int(tr[lane, t - 1]), acc_fmt) + p
            code = int(tr[lane, t])
            got = _value(code, acc_fmt)
            # The neighbour on the other side of the exact sum (codes are sign-magnitude).
            away = (exact > got) == (got >= 0)
            other = _value(code + 1 if away else code - 1, acc_fmt)
            assert got != exact and abs(exact - got) == abs(exact - other), (cat, lane, t)
            assert code % 2 == 0
            # tie_even: the lower-magnitude neighbour is even (the result moved toward 0).
            assert (abs(got) < abs(exact)) == (cat == "tie_even")
            n += 1
    assert n == c.counts["tie_even"] + c.counts["tie_odd"] > 0


def test_fixed_point_mac_has_no_float_corners() -> None:
    cfg = MacConfig(a_format="int8", w_format="int8", max_terms=64)
    with pytest.raises(
        HwgenError, match=rf"^{cfg.name} has a fixed-point accumulator: no float corners$"
    ):
        float_corners(cfg, lanes=4)


BF16_UNF = {"a_format": "bf16", "w_format": "bf16", "acc_format": "bf16", "acc_rounding": "unfused"}


@pytest.mark.parametrize(
    "kw",
    [
        FP16_UNF,
        {**E5M2_E5M2, "acc_rounding": "unfused", "acc_subnormals": "flush"},
        {"a_format": "fp4_e2m1", "w_format": "fp4_e2m1", "acc_format": "fp6_e3m2"},
        {"a_format": "int8", "w_format": "int8", "acc_format": "fp32"},
    ],
    ids=["fp16u", "e5m2u-ftz", "fp4-fp6", "int8-fp32"],
)
def test_array_tie_classifier_agrees_with_the_integer_model(kw: dict, monkeypatch) -> None:
    """The int64 classifier of the last tie step picks the same sequences as the Python
    integer model it stands in for (``_VEC_BITS = 0`` sends every candidate there)."""
    import hwgen.sim.corners as corners

    fast = float_corners(_cfg(kw), lanes=16)
    monkeypatch.setattr(corners, "_VEC_BITS", 0)
    slow = float_corners(_cfg(kw), lanes=16)
    assert fast.counts == slow.counts and fast.ends == slow.ends
    for name in ("a", "w", "valid", "clear"):
        assert np.array_equal(getattr(fast.stimulus, name), getattr(slow.stimulus, name))


def test_bf16_corners_take_well_under_two_cpu_seconds() -> None:
    """bf16 x bf16 has ~500 product binades: the tie search must stay vectorised."""
    import time

    t0 = time.process_time()
    c = float_corners(_cfg(BF16_UNF), lanes=64)
    assert time.process_time() - t0 < 1.5
    assert c.counts["tie_even"] > 0 and c.counts["tie_odd"] > 0
