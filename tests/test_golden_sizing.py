"""Accumulator sizing: tight, minimal, and never wider than the published bound."""

from __future__ import annotations

import functools
import itertools
from fractions import Fraction

import numpy as np
import pytest

from hwgen.errors import HwgenError
from hwgen.formats import FormatKind, get, names
from hwgen.golden import (
    AccumulatorSpec,
    Multiplier,
    accumulator_spec,
    extreme_products,
    lmul_product_ints,
    published_accumulator_bits,
)


@functools.cache
def lsb_ints(name: str) -> list[int]:
    """Every distinct finite value of a format as an integer multiple of its LSB (exact)."""
    fmt = get(name)
    unit = Fraction(2) ** fmt.lsb_exp
    out = {Fraction(x) / unit for x in set(fmt.values()[fmt.finite_mask].tolist())}
    assert all(q.denominator == 1 for q in out)
    return sorted(int(q) for q in out)


def product_range(a: str, w: str) -> tuple[int, int]:
    """Min / max product over every pair of finite values, in LSB units (brute force)."""
    prods = [x * y for x in lsb_ints(a) for y in lsb_ints(w)]
    return min(prods), max(prods)


def holds(bits: int, lo: int, hi: int) -> bool:
    return -(2 ** (bits - 1)) <= lo and hi <= 2 ** (bits - 1) - 1


def test_int8_single_term_is_the_product_range() -> None:
    fmt = get("int8")
    v = fmt.values().astype(np.int64)
    prods = np.outer(v, v)
    spec = accumulator_spec("int8", "int8", 1)
    assert spec.lsb_exp == 0
    assert holds(spec.bits, int(prods.min()), int(prods.max()))
    assert not holds(spec.bits - 1, int(prods.min()), int(prods.max()))


@pytest.mark.parametrize(
    ("a", "w"),
    [
        ("int8", "int8"),
        ("int4", "uint8"),
        ("int8_narrow", "int8_narrow"),
        ("fp8_e4m3", "fp8_e4m3"),
        ("fp8_e5m2", "fp8_e5m2"),
        ("fp4_e2m1", "fp4_e2m1"),
        ("fp6_e3m2", "int8"),
        ("bitmod_fp4_ea_neg", "int8"),
        ("uint4", "uint4"),
    ],
)
@pytest.mark.parametrize("n", [1, 2, 3, 255, 4096])
def test_width_is_minimal_for_n_terms(a: str, w: str, n: int) -> None:
    p_min, p_max = product_range(a, w)
    lo, hi = min(0, n * p_min), max(0, n * p_max)
    spec = accumulator_spec(a, w, n)
    assert spec.lsb_exp == get(a).lsb_exp + get(w).lsb_exp
    assert holds(spec.bits, lo, hi)
    assert spec.bits == 1 or not holds(spec.bits - 1, lo, hi)


@pytest.mark.parametrize("n", [1, 3, 256, 4096, 1 << 20])
def test_tight_never_exceeds_published(n: int) -> None:
    # Operand formats only: MACs take at most 16-bit operands (fp32 has no value table).
    fmts = [
        get(x)
        for x in names()
        if get(x).kind in (FormatKind.INT, FormatKind.FLOAT) and get(x).bits <= 16
    ]
    checked = 0
    for fa, fw in itertools.product(fmts, fmts):
        if fa.kind is not fw.kind:
            continue
        assert accumulator_spec(fa, fw, n).bits <= published_accumulator_bits(fa, fw, n), (
            fa.name,
            fw.name,
        )
        checked += 1
    assert checked > 100


def test_published_formulas() -> None:
    fa, fw = get("int8"), get("int4")
    # INT: a + b + ceil(log2 n) + 1
    assert published_accumulator_bits(fa, fw, 1000) == fa.bits + fw.bits + 10 + 1
    assert published_accumulator_bits(fa, fw, 1024) == fa.bits + fw.bits + 10 + 1
    assert published_accumulator_bits(fa, fw, 1025) == fa.bits + fw.bits + 11 + 1
    e4, e5 = get("fp8_e4m3"), get("fp8_e5m2")
    # FP: 2^ea + ma + 2^eb + mb + ceil(log2 n) - 1
    expected = 2**e4.exp_bits + e4.man_bits + 2**e5.exp_bits + e5.man_bits + 2 - 1
    assert published_accumulator_bits(e4, e5, 4) == expected


def test_lmul_spec_holds_every_lmul_product_and_is_minimal() -> None:
    for name in ("fp4_e2m1", "fp8_e4m3", "fp6_e2m3"):
        fmt = get(name)
        ca, cw = np.meshgrid(np.arange(1 << fmt.bits), np.arange(1 << fmt.bits), indexing="ij")
        p = lmul_product_ints(fmt, ca, fmt, cw).ints
        lo, hi = min(0, 7 * int(p.min())), max(0, 7 * int(p.max()))
        spec = accumulator_spec(fmt, fmt, 7, multiplier=Multiplier.LMUL)
        assert holds(spec.bits, lo, hi) and not holds(spec.bits - 1, lo, hi)


def test_lmul_can_need_more_bits_than_exact() -> None:
    # fp4_e2m1: max = 6 = (1 + 1/2) * 2**2, so L-Mul(6, 6) = (1 + 1/2 + 1/2 + 2**-1) * 2**4
    # = 40 > 36 = 6 * 6 (l(1) = 1).
    fmt = get("fp4_e2m1")
    unit = Fraction(2) ** (2 * fmt.lsb_exp)
    _, exact_max = extreme_products(fmt, fmt)
    _, lmul_max = extreme_products(fmt, fmt, multiplier=Multiplier.LMUL)
    assert exact_max * unit == Fraction(fmt.max_value) ** 2
    assert lmul_max * unit == (1 + Fraction(1, 2) * 3) * 2**4
    # 26 terms: 26 * 36 * 4 = 3744 fits 13 bits, 26 * 40 * 4 = 4160 does not.
    exact = accumulator_spec("fp4_e2m1", "fp4_e2m1", 26)
    lmul = accumulator_spec("fp4_e2m1", "fp4_e2m1", 26, multiplier="lmul")
    assert lmul.bits == exact.bits + 1


def test_max_terms_validation() -> None:
    with pytest.raises(HwgenError, match=r"^max_terms must be >= 1, not 0$"):
        accumulator_spec("int8", "int8", 0)
    with pytest.raises(HwgenError, match=r"^max_terms must be an integer, not 2.0$"):
        accumulator_spec("int8", "int8", 2.0)  # type: ignore[arg-type]
    with pytest.raises(HwgenError, match=r"^max_terms must be an integer, not True$"):
        published_accumulator_bits("int8", "int8", True)  # type: ignore[arg-type]


def test_published_rejects_mixed_kinds() -> None:
    with pytest.raises(
        HwgenError,
        match=r"^the published bound covers int x int and float x float, not int x float "
        r"\(int8 x fp4_e2m1\)$",
    ):
        published_accumulator_bits("int8", "fp4_e2m1", 4)


def test_accumulator_spec_validation() -> None:
    assert AccumulatorSpec(bits=8, lsb_exp=-3).lo == -128
    assert AccumulatorSpec(bits=8, lsb_exp=-3).hi == 127
    with pytest.raises(HwgenError, match=r"^bits must be >= 1, not 0$"):
        AccumulatorSpec(bits=0, lsb_exp=0)
    with pytest.raises(HwgenError, match=r"^lsb_exp must be an integer, not 0.5$"):
        AccumulatorSpec(bits=8, lsb_exp=0.5)  # type: ignore[arg-type]
