"""Accumulators against the golden MAC trace and a Fraction reference."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.accuracy import (
    ActivationQuant,
    ActScaling,
    ExactAccumulator,
    FixedPointAccumulator,
    GemmDesign,
    Segment,
    WeightQuant,
    design_gemm,
)
from hwgen.accuracy.operands import fixed_operand
from hwgen.accuracy.products import bilinear
from hwgen.errors import HwgenError
from hwgen.formats import get
from hwgen.golden import AccumulatorSpec, Multiplier, Overflow, mac_trace


def _segment(
    a_name: str, a_codes: np.ndarray, w_name: str, w_codes: np.ndarray, mult: Multiplier
) -> Segment:
    a, w = get(a_name), get(w_name)
    form = bilinear(mult, a, w)
    xa = fixed_operand(form.a, a_codes.astype(np.intp), role="a")
    yw = fixed_operand(form.w, w_codes.astype(np.intp), role="w")
    return Segment(
        a_terms=xa.terms,
        w_terms=yw.terms,
        a_bounds=xa.bounds,
        w_bounds=yw.bounds,
        pairs=form.pairs,
        unit_exp=xa.unit_exp + yw.unit_exp + form.shift,
        format_lsb_exp=a.lsb_exp + w.lsb_exp,
    )


def _golden(a_name, a_codes, w_name, w_codes, spec, overflow, mult) -> np.ndarray:
    m, k = a_codes.shape
    n = w_codes.shape[1]
    out = np.zeros((m, n))
    valid = np.ones(k, dtype=bool)
    clear = np.zeros(k, dtype=bool)
    clear[0] = True
    for i in range(m):
        for j in range(n):
            t = mac_trace(
                a_name,
                a_codes[i],
                w_name,
                w_codes[:, j],
                valid,
                clear,
                acc=spec,
                overflow=overflow,
                multiplier=mult,
            )
            out[i, j] = t.to_float()[-1]
    return out


CASES = [
    ("int4", "int4", Multiplier.EXACT),
    ("fp8_e4m3", "int4", Multiplier.EXACT),
    ("fp4_e2m1", "fp4_e2m1", Multiplier.EXACT),
    ("fp8_e4m3", "fp8_e4m3", Multiplier.LMUL),
]


@settings(max_examples=25, deadline=None)
@given(
    case=st.sampled_from(CASES),
    overflow=st.sampled_from([Overflow.WRAP, Overflow.SATURATE]),
    bits=st.integers(4, 14),
    k=st.integers(1, 40),
    seed=st.integers(0, 2**32 - 1),
    finer=st.integers(0, 3),
)
def test_fixed_point_matches_mac_trace(case, overflow, bits, k, seed, finer) -> None:
    a_name, w_name, mult = case
    a, w = get(a_name), get(w_name)
    rng = np.random.default_rng(seed)
    # Finite codes only (the GEMM never produces special codes).
    a_codes = rng.choice(np.flatnonzero(a.finite_mask), size=(3, k))
    w_codes = rng.choice(np.flatnonzero(w.finite_mask), size=(k, 4))
    lsb = a.lsb_exp + w.lsb_exp - finer
    acc = FixedPointAccumulator(bits=bits, overflow=overflow, lsb_exp=lsb)
    got = acc.accumulate(_segment(a_name, a_codes, w_name, w_codes, mult))
    want = _golden(
        a_name, a_codes, w_name, w_codes, AccumulatorSpec(bits=bits, lsb_exp=lsb), overflow, mult
    )
    np.testing.assert_array_equal(got, want)


@settings(max_examples=10, deadline=None)
@given(
    overflow=st.sampled_from([Overflow.WRAP, Overflow.SATURATE]),
    bits=st.integers(8, 16),
    seed=st.integers(0, 2**32 - 1),
)
def test_long_segments_match_mac_trace(overflow, bits, seed) -> None:
    # Several blocks of the running-sum proof: outputs near the range limit are stepped.
    rng = np.random.default_rng(seed)
    k = 300
    a_codes = rng.integers(0, 16, (2, k))
    w_codes = rng.integers(0, 16, (k, 3))
    w_codes[:, 0] = 0b0111  # a column of +7: long one-signed runs that overflow
    acc = FixedPointAccumulator(bits=bits, overflow=overflow)
    got = acc.accumulate(_segment("int4", a_codes, "int4", w_codes, Multiplier.EXACT))
    spec = AccumulatorSpec(bits=bits, lsb_exp=0)
    want = _golden("int4", a_codes, "int4", w_codes, spec, overflow, Multiplier.EXACT)
    np.testing.assert_array_equal(got, want)


def test_exact_accumulator_and_wide_fixed_point_equal_the_exact_sum() -> None:
    rng = np.random.default_rng(3)
    a_codes = rng.integers(0, 256, (5, 64))
    a_codes[a_codes & 0x7F == 0x7F] = 0  # no NaN codes
    w_codes = rng.integers(0, 16, (64, 6))
    seg = _segment("fp8_e4m3", a_codes, "int4", w_codes, Multiplier.EXACT)
    exact = ExactAccumulator().accumulate(seg)
    spec = AccumulatorSpec(bits=40, lsb_exp=get("fp8_e4m3").lsb_exp)
    want = _golden("fp8_e4m3", a_codes, "int4", w_codes, spec, Overflow.EXACT, Multiplier.EXACT)
    np.testing.assert_array_equal(exact, want)
    for policy in Overflow:
        got = FixedPointAccumulator(bits=40, overflow=policy).accumulate(seg)
        np.testing.assert_array_equal(got, want)


def test_exact_policy_raises_on_a_running_overflow() -> None:
    # 7*7 + 7*7 = 98 leaves an 8-bit accumulator [-128, 127]? No: 98 fits; three terms do not.
    a_codes = np.array([[7, 7, 7, 0b1001]])  # 7, 7, 7, -7 (int4)
    w_codes = np.array([[7], [7], [7], [7]])
    seg = _segment("int4", a_codes, "int4", w_codes, Multiplier.EXACT)
    # The final sum 98 fits 8 bits, but the running sum 147 after three products does not.
    with pytest.raises(HwgenError) as e:
        FixedPointAccumulator(bits=8, overflow=Overflow.EXACT).accumulate(seg)
    assert str(e.value) == (
        "accumulator overflow: output (0, 0) leaves [-128, 127] of a 8-bit accumulator at"
        " k = 2 (overflow='exact'; widen it or choose 'wrap' / 'saturate')"
    )
    sat = FixedPointAccumulator(bits=8, overflow=Overflow.SATURATE).accumulate(seg)
    assert sat[0, 0] == 127 - 49
    wrap = FixedPointAccumulator(bits=8, overflow=Overflow.WRAP).accumulate(seg)
    assert wrap[0, 0] == 98


def _fraction_gemm(a, w, a_fmt, w_fmt, spec, overflow, group):
    """Reference: per-tensor int operands, the accumulator per group, Fractions throughout."""
    a_abs = max(abs(Fraction(float(x))) for x in a.ravel())
    w_abs = [max(abs(Fraction(float(x))) for x in w[:, j]) for j in range(w.shape[1])]
    fa, fw = get(a_fmt), get(w_fmt)
    a_scale = a_abs / Fraction(fa.max_abs)
    out = np.zeros((a.shape[0], w.shape[1]))
    unit = Fraction(2) ** spec.lsb_exp
    for j in range(w.shape[1]):
        w_scale = w_abs[j] / Fraction(fw.max_abs)
        w_codes = fw.encode(w[:, j] / float(w_scale), saturate=True)
        for i in range(a.shape[0]):
            a_codes = fa.encode(a[i] / float(a_scale), saturate=True)
            y = Fraction(0)
            for g0 in range(0, a.shape[1], group):
                acc = 0
                for kk in range(g0, g0 + group):
                    p = Fraction(float(fa.values()[a_codes[kk]])) * Fraction(
                        float(fw.values()[w_codes[kk]])
                    )
                    acc += int(p / unit)
                    if overflow is Overflow.WRAP:
                        acc = (acc + 2 ** (spec.bits - 1)) % 2**spec.bits - 2 ** (spec.bits - 1)
                    else:
                        acc = min(max(acc, spec.lo), spec.hi)
                y += acc * unit * a_scale * w_scale
            out[i, j] = float(y)
    return out


@pytest.mark.parametrize("overflow", [Overflow.WRAP, Overflow.SATURATE])
def test_design_gemm_matches_fraction_reference(overflow: Overflow) -> None:
    rng = np.random.default_rng(11)
    a = rng.normal(size=(3, 16))
    w = rng.normal(size=(16, 2))
    bits = 9
    design = GemmDesign(
        activations=ActivationQuant(format="int6", scaling=ActScaling.PER_TENSOR),
        weights=WeightQuant(format="int5", group_size="channel"),
        accumulator=FixedPointAccumulator(bits=bits, overflow=overflow),
    )
    got = design_gemm(a, w, design)
    spec = AccumulatorSpec(bits=bits, lsb_exp=0)
    want = _fraction_gemm(a, w, "int6", "int5", spec, overflow, 16)
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    exact = design_gemm(a, w, GemmDesign(activations=design.activations, weights=design.weights))
    assert not np.array_equal(got, exact)  # the narrow accumulator did overflow


def test_bad_accumulator_arguments() -> None:
    with pytest.raises(HwgenError, match=r"^accumulator bits must be >= 2, not 1$"):
        FixedPointAccumulator(bits=1)
    with pytest.raises(HwgenError, match=r"^accumulator bits must be an integer, not 8.0$"):
        FixedPointAccumulator(bits=8.0)  # type: ignore[arg-type]
    with pytest.raises(
        HwgenError, match=r"^overflow must be one of exact, wrap, saturate, not 'clip'$"
    ):
        FixedPointAccumulator(bits=8, overflow="clip")  # type: ignore[arg-type]
    with pytest.raises(
        HwgenError,
        match=r"^accumulator lsb_exp must be <= 0 \(a.lsb_exp \+ w.lsb_exp\), not 1: a window "
        r"above the products' LSB truncates every product, which the GEMM accuracy engine "
        r"\(exact segment sums\) does not model; set acc_lsb = 0$",
    ):
        FixedPointAccumulator(bits=8, lsb_exp=1).spec(0)
    assert FixedPointAccumulator(bits=24, overflow="saturate").label == "acc24-saturate"
    spec = AccumulatorSpec(bits=20, lsb_exp=-3)
    assert FixedPointAccumulator.from_spec(spec, Overflow.WRAP).spec(0) == spec
