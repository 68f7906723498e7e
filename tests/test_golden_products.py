"""Exact products: every code pair against Fractions built from ``values()``."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError, UnknownFormatError
from hwgen.formats import get
from hwgen.golden import Flag, product_flags, product_ints

EXHAUSTIVE_PAIRS = [
    ("fp8_e4m3", "fp8_e4m3"),
    ("fp8_e5m2", "fp8_e5m2"),
    ("int8", "int8"),
    ("int8", "fp4_e2m1"),
]
SAMPLE_FORMATS = [
    "int4",
    "uint8",
    "int8_narrow",
    "fp4_e2m1",
    "fp6_e3m2",
    "fp6_e2m3",
    "fp8_e4m3",
    "fp8_e5m2",
    "fp16",
    "bf16",
    "fp8_e4m3_nosub",
    "bitmod_fp4_ea_pos",
    "flint4",
]


def all_pairs(a: str, w: str) -> tuple[np.ndarray, np.ndarray]:
    fa, fw = get(a), get(w)
    return np.meshgrid(np.arange(1 << fa.bits), np.arange(1 << fw.bits), indexing="ij")


def ref_flag(x: float, y: float) -> int:
    """Flag word of x * y by the rules of docs/hardware.md, written out case by case."""
    if np.isnan(x) or np.isnan(y):
        return int(Flag.NAN)
    if (np.isinf(x) and y == 0) or (np.isinf(y) and x == 0):
        return int(Flag.NAN)
    if np.isinf(x) or np.isinf(y):
        return int(Flag.NINF) if (x < 0) != (y < 0) else int(Flag.PINF)
    return 0


def ratios(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Exact numerator and denominator of every finite value (0/1 for specials), Python ints."""
    pairs = [
        x.as_integer_ratio() if np.isfinite(x) else (0, 1) for x in get(name).values().tolist()
    ]
    return np.array([n for n, _ in pairs], dtype=object), np.array(
        [d for _, d in pairs], dtype=object
    )


@pytest.mark.parametrize(("a", "w"), EXHAUSTIVE_PAIRS)
def test_every_code_pair_is_exact(a: str, w: str) -> None:
    fa, fw = get(a), get(w)
    ca, cw = all_pairs(a, w)
    r = product_ints(a, ca, w, cw)
    va, vw = fa.values()[ca], fw.values()[cw]
    finite = np.isfinite(va) & np.isfinite(vw)
    # ints * 2**lsb == (na / da) * (nw / dw), cross-multiplied in exact Python ints.
    (na, da), (nw, dw) = ratios(a), ratios(w)
    ints = r.ints.astype(object)[finite]
    lhs = ints * da[ca][finite] * dw[cw][finite] * 2 ** max(r.lsb_exp, 0)
    rhs = na[ca][finite] * nw[cw][finite] * 2 ** max(-r.lsb_exp, 0)
    assert np.all(lhs == rhs)
    assert np.all(r.ints[~finite] == 0)
    # float64 is exact for these formats: the scaled float product is the same integer.
    with np.errstate(invalid="ignore"):
        fprod = va * vw
    scaled = np.ldexp(fprod[finite], -r.lsb_exp)
    assert np.all(scaled == np.floor(scaled))
    assert [int(x) for x in scaled.tolist()] == ints.tolist()
    assert np.array_equal(r.to_float()[finite], fprod[finite])


@pytest.mark.parametrize(("a", "w"), EXHAUSTIVE_PAIRS)
def test_every_code_pair_flags_follow_ieee_product(a: str, w: str) -> None:
    fa, fw = get(a), get(w)
    ca, cw = all_pairs(a, w)
    r = product_ints(a, ca, w, cw)
    va, vw = fa.values()[ca], fw.values()[cw]
    with np.errstate(invalid="ignore"):
        fprod = va * vw  # IEEE float64: NaN for NaN operands and inf x 0, signed inf
    assert np.array_equal(np.isnan(r.values()), np.isnan(fprod))
    ok = ~np.isnan(fprod)
    assert np.array_equal(r.values()[ok], fprod[ok])
    assert np.array_equal(product_flags(a, ca, w, cw), r.flags)


def test_flags_spot_cases_by_rule() -> None:
    fmt = get("fp8_e5m2")
    v = fmt.values()
    codes = np.arange(1 << fmt.bits)
    specials = np.flatnonzero(~fmt.finite_mask)
    zeros = np.flatnonzero(v == 0)
    ones = np.flatnonzero(np.abs(v) == 1)
    picks = np.concatenate([specials, zeros, ones, codes[:3]])
    ca, cw = np.meshgrid(picks, picks, indexing="ij")
    got = product_flags(fmt, ca, fmt, cw)
    ref = np.vectorize(ref_flag)(v[ca], v[cw])
    assert np.array_equal(got, ref)


@settings(max_examples=60, deadline=None)
@given(
    a=st.sampled_from(SAMPLE_FORMATS),
    w=st.sampled_from(SAMPLE_FORMATS),
    data=st.data(),
)
def test_products_match_fractions(a: str, w: str, data: st.DataObject) -> None:
    fa, fw = get(a), get(w)
    n = data.draw(st.integers(0, 40))
    ca = np.array(
        data.draw(st.lists(st.integers(0, (1 << fa.bits) - 1), min_size=n, max_size=n)), np.int64
    )
    cw = np.array(
        data.draw(st.lists(st.integers(0, (1 << fw.bits) - 1), min_size=n, max_size=n)), np.int64
    )
    r = product_ints(fa, ca, fw, cw)
    assert r.lsb_exp == fa.lsb_exp + fw.lsb_exp
    for i, (x, y) in enumerate(zip(fa.values()[ca], fw.values()[cw], strict=True)):
        if np.isfinite(x) and np.isfinite(y):
            assert Fraction(int(r.ints[i])) * Fraction(2) ** r.lsb_exp == Fraction(x) * Fraction(y)
        else:
            assert int(r.ints[i]) == 0
        assert int(r.flags[i]) == ref_flag(x, y)


@pytest.mark.parametrize("name", ["int8", "fp8_e4m3", "fp8_e5m2", "bf16", "fp4_e2m1"])
def test_int64_exactly_when_every_product_fits_62_bits(name: str) -> None:
    fmt = get(name)
    finite = fmt.values()[fmt.finite_mask]
    biggest = max(abs(Fraction(x)) for x in finite) ** 2 / Fraction(2) ** (2 * fmt.lsb_exp)
    r = product_ints(name, [1], name, [1])
    assert (r.ints.dtype == np.int64) == (biggest < 2**62)


def test_broadcasting_shapes() -> None:
    r = product_ints("int4", np.arange(16)[:, None], "int4", np.arange(16)[None, :])
    assert r.ints.shape == (16, 16) and r.flags.shape == (16, 16)
    v = get("int4").values()
    assert np.array_equal(r.to_float(), np.outer(v, v))


def test_accepts_format_objects_and_names() -> None:
    fmt = get("fp6_e2m3")
    a = product_ints(fmt, [5, 40], "fp6_e2m3", [7, 63])
    b = product_ints("fp6_e2m3", [5, 40], fmt, [7, 63])
    assert np.array_equal(a.ints, b.ints)


def test_bad_codes_are_rejected() -> None:
    with pytest.raises(HwgenError, match=r"^a_codes must be codes of int4 in \[0, 15\], not 16$"):
        product_ints("int4", [16], "int4", [0])
    with pytest.raises(HwgenError, match=r"^w_codes must be codes of int4 in \[0, 15\], not -1$"):
        product_ints("int4", [0], "int4", [-1])
    with pytest.raises(HwgenError, match=r"^a_codes must be integer codes, not float64 values$"):
        product_ints("int4", [0.5], "int4", [0])
    with pytest.raises(HwgenError, match=r"^a_codes shape \(3,\) and w_codes shape \(2,\) do not"):
        product_ints("int4", [0, 1, 2], "int4", [0, 1])


def test_bad_formats_are_rejected() -> None:
    with pytest.raises(HwgenError, match=r"^a_format must be a format name or a Format, not int$"):
        product_ints(8, [0], "int4", [0])  # type: ignore[arg-type]
    with pytest.raises(UnknownFormatError, match="unknown format 'fp9'"):
        product_ints("fp9", [0], "int4", [0])
    with pytest.raises(UnknownFormatError, match="per-group mixture"):
        product_ints("bitmod_fp4", [0], "int4", [0])
