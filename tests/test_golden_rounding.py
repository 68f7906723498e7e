"""Exact accumulator -> float conversion against a Fraction round-to-nearest-even reference."""

from __future__ import annotations

import functools
from bisect import bisect_left
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.formats import Format, get
from hwgen.golden import Flag, acc_to_format, to_float

OUT_FORMATS = ["fp16", "bf16", "fp8_e4m3", "fp8_e5m2", "fp4_e2m1", "fp8_e4m3_nosub", "int8"]


@functools.cache
def grid(name: str) -> tuple[list[float], list[int]]:
    """Sorted distinct finite values of a format with one code each (+0 for zero)."""
    fmt = get(name)
    v = fmt.values()
    finite = np.flatnonzero(fmt.finite_mask & ~((v == 0) & np.signbit(v)))
    keys, first = np.unique(v[finite], return_index=True)
    return keys.tolist(), finite[first].tolist()


def rne_ref(fmt: Format, x: Fraction) -> int:
    """Nearest finite value of ``fmt``, ties to the even code (mantissa LSB 0).

    A negative value rounding to zero gives -0 where the format has it (IEEE 754).
    """
    keys, codes = grid(fmt.name)
    i = bisect_left(keys, x)
    if i < len(keys) and keys[i] == x:
        code = codes[i]
    else:
        lo, hi = Fraction(keys[i - 1]), Fraction(keys[i])
        d_lo, d_hi = x - lo, hi - x
        if d_lo != d_hi:
            code = codes[i - 1] if d_lo < d_hi else codes[i]
        else:
            code = codes[i - 1] if codes[i - 1] % 2 == 0 else codes[i]
    v = fmt.values()
    if x < 0 and v[code] == 0:
        neg_zero = np.flatnonzero((v == 0) & np.signbit(v))
        return int(neg_zero[0]) if neg_zero.size else code
    return code


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(OUT_FORMATS),
    mag=st.integers(0, 2**80),
    neg=st.booleans(),
    lsb_exp=st.integers(-90, 10),
    wide=st.booleans(),
)
def test_matches_fraction_rne_within_range(
    name: str, mag: int, neg: bool, lsb_exp: int, wide: bool
) -> None:
    fmt = get(name)
    v = -mag if neg else mag
    x = Fraction(v) * Fraction(2) ** lsb_exp
    keys, _ = grid(name)
    if not Fraction(keys[0]) <= x <= Fraction(keys[-1]):
        # Overflow is covered by the encode-equivalence and hand tests. The bound is the
        # largest finite value of each sign, not max_magnitude: int8 reaches -128 but +127.
        return
    if not wide and abs(v) >= 2**63:
        return
    ints = np.array([v], dtype=object if wide else np.int64)
    got = int(acc_to_format(ints, lsb_exp, fmt)[0])
    ref = rne_ref(fmt, x)
    assert got == ref


@settings(max_examples=200, deadline=None)
@given(
    name=st.sampled_from(OUT_FORMATS),
    v=st.integers(-(2**53), 2**53),
    lsb_exp=st.integers(-60, 40),
)
def test_agrees_with_encode_when_float64_is_exact(name: str, v: int, lsb_exp: int) -> None:
    # Covers overflow too: encode applies the format's own rule (inf / NaN / saturation).
    fmt = get(name)
    x = np.ldexp(float(v), lsb_exp)
    got = acc_to_format(np.array([v], np.int64), lsb_exp, fmt)
    assert got.tolist() == fmt.encode(np.array([x])).tolist()
    assert acc_to_format(np.array([v], object), lsb_exp, fmt).tolist() == got.tolist()


def test_more_than_53_bits_rounds_once() -> None:
    # 2**60 + 2**(60 - m - 1) is exactly halfway between two fp16 values (m + 1 significant
    # bits); +1 makes it round up. float64 would drop the +1 and then tie to even (down).
    fmt = get("fp16")
    v = (1 << 60) + (1 << (60 - fmt.man_bits - 1)) + 1
    lsb = -50  # value = 2**10 * (1 + 2**-(m + 1) + 2**-60)
    up = acc_to_format(np.array([v], dtype=object), lsb, fmt)
    tie = acc_to_format(np.array([v - 1], dtype=np.int64), lsb, fmt)
    one_ulp = 2.0**10 * (1 + 2.0**-fmt.man_bits)
    assert fmt.values()[int(up[0])] == one_ulp
    assert fmt.values()[int(tie[0])] == 2.0**10
    assert int(acc_to_format(np.array([v], dtype=np.int64), lsb, fmt)[0]) == int(up[0])
    assert fmt.values()[int(fmt.encode(np.array([float(v) * 2.0**lsb]))[0])] == 2.0**10


def test_overflow_follows_the_format() -> None:
    fp16, e4m3, e2m1 = get("fp16"), get("fp8_e4m3"), get("fp4_e2m1")
    ulp16 = Fraction(2) ** (fp16.emax - fp16.man_bits)  # spacing at the top binade
    halfway = Fraction(fp16.max_value) + ulp16 / 2
    assert halfway.denominator == 1
    below = acc_to_format(np.array([int(halfway) - 1], object), 0, fp16)
    at = acc_to_format(np.array([int(halfway)], object), 0, fp16)
    assert fp16.values()[int(below[0])] == fp16.max_value
    assert fp16.values()[int(at[0])] == np.inf
    big = np.array([1 << 200], dtype=object)
    assert np.isnan(e4m3.values()[int(acc_to_format(big, 0, e4m3)[0])])
    assert e2m1.values()[int(acc_to_format(-big, 0, e2m1)[0])] == e2m1.min_value


def test_flags_select_special_codes() -> None:
    fmt = get("fp16")
    ints = np.array([5, 5, 5, 5], dtype=np.int64)
    flags = np.array([0, Flag.PINF, Flag.NINF, Flag.PINF | Flag.NINF | Flag.NAN], np.uint8)
    vals = fmt.values()[acc_to_format(ints, 0, fmt, flags=flags).astype(np.intp)]
    assert vals[0] == 5 and vals[1] == np.inf and vals[2] == -np.inf and np.isnan(vals[3])


@settings(max_examples=200, deadline=None)
@given(v=st.integers(-(2**200), 2**200), lsb_exp=st.integers(-300, 300))
def test_to_float_is_correctly_rounded(v: int, lsb_exp: int) -> None:
    x = Fraction(v) * Fraction(2) ** lsb_exp
    try:
        ref = float(x)  # Python's int / int division is correctly rounded
    except OverflowError:
        ref = float("inf") if v > 0 else float("-inf")
    assert to_float(np.array([v], dtype=object), lsb_exp)[0] == ref
    if abs(v) < 2**63:
        assert to_float(np.array([v], dtype=np.int64), lsb_exp)[0] == ref


def test_to_float_int64_edges() -> None:
    v = np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max, 0, -1, (1 << 53) + 1])
    got = to_float(v, 0)
    assert got.tolist() == [float(Fraction(int(x))) for x in v.tolist()]


def test_bad_arguments() -> None:
    with pytest.raises(HwgenError, match=r"^ints must be integers .*, not float64 values$"):
        to_float(np.array([1.5]), 0)
    with pytest.raises(HwgenError, match=r"^out_format must be a float or int format, not table"):
        acc_to_format(np.array([1]), 0, "flint4")
    with pytest.raises(HwgenError, match=r"^flags shape \(2,\) must match ints shape \(1,\)$"):
        acc_to_format(np.array([1]), 0, "fp16", flags=np.zeros(2, np.uint8))
    with pytest.raises(HwgenError, match=r"^lsb_exp must be an integer, not 0.5$"):
        to_float(np.array([1]), 0.5)  # type: ignore[arg-type]
    with pytest.raises(HwgenError, match=r"^a NaN accumulator cannot be converted to int8"):
        acc_to_format(np.array([1]), 0, "int8", flags=np.array([Flag.NAN], np.uint8))
