"""L-Mul products against the formula of arXiv 2410.00907 written with Fractions."""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.formats import Format, get
from hwgen.golden import lmul_offset_exponent, lmul_product_ints, product_flags


def l_of(m: int) -> int:
    """l(m) = m for m <= 3, 3 for m = 4, 4 for m > 4 (formats.md, L-Mul)."""
    return m if m <= 3 else (3 if m == 4 else 4)


@functools.cache
def split(x: float, emin: int) -> tuple[int, Fraction, int] | None:
    """``x = sign * (1 + m) * 2**e`` as ``(sign, m, e)``; ``None`` below ``2**emin`` (FTZ)."""
    if abs(x) < 2.0**emin:
        return None
    e = math.frexp(abs(x))[1] - 1
    return (-1 if x < 0 else 1), Fraction(abs(x)) / Fraction(2) ** e - 1, e


def lmul_ref(a: Format, x: float, w: Format, y: float) -> Fraction:
    """(1 + xm + ym + 2**-l) * 2**(xe + ye) with the sign XOR; 0 below the normal range."""
    sx, sy = split(x, a.emin), split(y, w.emin)
    if sx is None or sy is None:
        return Fraction(0)  # zero and subnormal operands are flushed to zero
    mag = 1 + sx[1] + sy[1] + Fraction(1, 2 ** l_of(min(a.man_bits, w.man_bits)))
    return sx[0] * sy[0] * mag * Fraction(2) ** (sx[2] + sy[2])


def check_pairs(a: Format, ca: np.ndarray, w: Format, cw: np.ndarray) -> None:
    r = lmul_product_ints(a, ca, w, cw)
    assert r.lsb_exp == a.lsb_exp + w.lsb_exp
    assert np.array_equal(r.flags, product_flags(a, ca, w, cw))
    unit = Fraction(2) ** r.lsb_exp
    va, vw = a.values()[ca].ravel(), w.values()[cw].ravel()
    for got, x, y in zip(r.ints.ravel().tolist(), va.tolist(), vw.tolist(), strict=True):
        if math.isfinite(x) and math.isfinite(y):
            assert Fraction(int(got)) * unit == lmul_ref(a, x, w, y), (x, y)
        else:
            assert int(got) == 0


EIGHT_BIT_PAIRS = [
    ("fp8_e4m3", "fp8_e4m3"),
    ("fp8_e5m2", "fp8_e5m2"),
    ("fp8_e4m3", "fp8_e5m2"),
    ("fp8_e4m3_nosub", "fp8_e4m3"),
]


def all_pairs(fa: Format, fw: Format) -> tuple[np.ndarray, np.ndarray]:
    return np.meshgrid(np.arange(1 << fa.bits), np.arange(1 << fw.bits), indexing="ij")


@pytest.mark.parametrize(
    ("a", "w"),
    [("fp4_e2m1", "fp4_e2m1"), ("fp6_e3m2", "fp6_e2m3"), ("fp3_e2m0", "fp4_e2m1")],
)
def test_every_code_pair_of_small_formats(a: str, w: str) -> None:
    fa, fw = get(a), get(w)
    ca, cw = all_pairs(fa, fw)
    check_pairs(fa, ca, fw, cw)


@pytest.mark.parametrize(("a", "w"), EIGHT_BIT_PAIRS)
def test_sampled_code_pairs_of_8_bit_formats(a: str, w: str) -> None:
    fa, fw = get(a), get(w)
    ca, cw = (x.ravel() for x in all_pairs(fa, fw))
    pick = np.random.default_rng(11).choice(ca.size, 4096, replace=False)
    check_pairs(fa, ca[pick], fw, cw[pick])


@pytest.mark.slow
@pytest.mark.parametrize(("a", "w"), EIGHT_BIT_PAIRS)
def test_every_code_pair_of_8_bit_formats(a: str, w: str) -> None:
    fa, fw = get(a), get(w)
    ca, cw = all_pairs(fa, fw)
    check_pairs(fa, ca, fw, cw)


@settings(max_examples=40, deadline=None)
@given(
    a=st.sampled_from(["fp16", "bf16", "fp8_e5m2", "fp12_e5m6"]),
    w=st.sampled_from(["fp16", "bf16", "fp8_e4m3", "fp10_e4m5"]),
    data=st.data(),
)
def test_wide_formats_match_formula(a: str, w: str, data: st.DataObject) -> None:
    fa, fw = get(a), get(w)
    n = data.draw(st.integers(1, 30))
    ca = data.draw(st.lists(st.integers(0, (1 << fa.bits) - 1), min_size=n, max_size=n))
    cw = data.draw(st.lists(st.integers(0, (1 << fw.bits) - 1), min_size=n, max_size=n))
    check_pairs(fa, np.array(ca), fw, np.array(cw))


def test_offset_exponent_table() -> None:
    assert [lmul_offset_exponent(m) for m in range(9)] == [l_of(m) for m in range(9)]
    assert [lmul_offset_exponent(m) for m in (3, 4, 5)] == [3, 3, 4]
    with pytest.raises(HwgenError, match=r"^man_bits must be >= 0, not -1$"):
        lmul_offset_exponent(-1)


def test_one_times_one() -> None:
    # 1.0 x 1.0 = (1 + 0 + 0 + 2**-l) for fp8_e4m3 (m = 3, l = 3): 1.125.
    fmt = get("fp8_e4m3")
    one = fmt.encode(np.array([1.0]))
    r = lmul_product_ints(fmt, one, fmt, one)
    assert r.to_float().tolist() == [1 + 2.0 ** -l_of(fmt.man_bits)]


def test_only_float_formats() -> None:
    with pytest.raises(HwgenError, match=r"^L-Mul needs float formats: a_format int8 is int, not"):
        lmul_product_ints("int8", [1], "fp8_e4m3", [1])
    with pytest.raises(HwgenError, match=r"^L-Mul needs float formats: w_format flint4 is table"):
        lmul_product_ints("fp8_e4m3", [1], "flint4", [1])
