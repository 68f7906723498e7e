"""Dot products and GEMM against slow Fraction references."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.formats import Format, get
from hwgen.golden import Flag, dot, gemm, lmul_product_ints, product_ints

FORMATS = [
    "int8",
    "uint4",
    "fp4_e2m1",
    "fp6_e3m2",
    "fp8_e4m3",
    "fp8_e5m2",
    "fp16",
    "bf16",
    "flint4",
]


def ref_sum(a: Format, ca: list[int], w: Format, cw: list[int]) -> tuple[Fraction, int]:
    """Exact sum of finite products and the flag word, element by element."""
    total, flags = Fraction(0), 0
    for i, j in zip(ca, cw, strict=True):
        x, y = float(a.values()[i]), float(w.values()[j])
        if np.isnan(x) or np.isnan(y) or (np.isinf(x) and y == 0) or (np.isinf(y) and x == 0):
            flags |= Flag.NAN
        elif np.isinf(x) or np.isinf(y):
            flags |= Flag.NINF if (x < 0) != (y < 0) else Flag.PINF
        else:
            total += Fraction(x) * Fraction(y)
    if flags & Flag.PINF and flags & Flag.NINF:
        flags |= Flag.NAN
    return total, int(flags)


def codes(draw: st.DrawFn, fmt: Format, n: int) -> list[int]:
    return draw(st.lists(st.integers(0, (1 << fmt.bits) - 1), min_size=n, max_size=n))


@settings(max_examples=80, deadline=None)
@given(a=st.sampled_from(FORMATS), w=st.sampled_from(FORMATS), data=st.data())
def test_dot_matches_fraction_sum(a: str, w: str, data: st.DataObject) -> None:
    fa, fw = get(a), get(w)
    n = data.draw(st.integers(0, 60))
    ca, cw = codes(data.draw, fa, n), codes(data.draw, fw, n)
    r = dot(fa, np.array(ca, np.int64), fw, np.array(cw, np.int64))
    total, flags = ref_sum(fa, ca, fw, cw)
    assert Fraction(int(r.ints)) * Fraction(2) ** r.lsb_exp == total
    assert int(r.flags) == flags


@settings(max_examples=25, deadline=None)
@given(a=st.sampled_from(FORMATS), w=st.sampled_from(FORMATS), data=st.data())
def test_gemm_matches_slow_reference(a: str, w: str, data: st.DataObject) -> None:
    fa, fw = get(a), get(w)
    m, k, n = (data.draw(st.integers(1, 4)) for _ in range(3))
    ca = np.array(codes(data.draw, fa, m * k), np.int64).reshape(m, k)
    cw = np.array(codes(data.draw, fw, k * n), np.int64).reshape(k, n)
    r = gemm(fa, ca, fw, cw)
    assert r.ints.shape == (m, n)
    for i in range(m):
        for j in range(n):
            total, flags = ref_sum(fa, ca[i].tolist(), fw, cw[:, j].tolist())
            assert Fraction(int(r.ints[i, j])) * Fraction(2) ** r.lsb_exp == total
            assert int(r.flags[i, j]) == flags


@pytest.mark.parametrize(
    ("name", "multiplier"),
    [(n, "exact") for n in ("int8", "fp8_e4m3", "fp8_e5m2", "bf16", "fp4_e2m1")]
    + [(n, "lmul") for n in ("fp8_e4m3", "fp8_e5m2", "bf16", "fp4_e2m1")],
)
def test_gemm_equals_broadcast_dot(name: str, multiplier: str) -> None:
    fmt = get(name)
    rng = np.random.default_rng(7)
    ca = rng.integers(0, 1 << fmt.bits, (5, 33))
    cw = rng.integers(0, 1 << fmt.bits, (33, 3))
    g = gemm(fmt, ca, fmt, cw, multiplier=multiplier)
    d = dot(fmt, ca[:, :, None], fmt, cw[None, :, :], axis=1, multiplier=multiplier)
    assert g.ints.dtype == d.ints.dtype
    assert np.array_equal(g.ints, d.ints) and np.array_equal(g.flags, d.flags)


def test_lmul_dot_is_sum_of_lmul_products() -> None:
    fmt = get("fp8_e5m2")
    rng = np.random.default_rng(3)
    ca, cw = rng.integers(0, 256, (4, 50)), rng.integers(0, 256, (4, 50))
    p = lmul_product_ints(fmt, ca, fmt, cw)
    d = dot(fmt, ca, fmt, cw, multiplier="lmul")
    assert [int(x) for x in d.ints] == [sum(int(v) for v in row) for row in p.ints]


def test_wide_sums_cancel_exactly() -> None:
    # Largest and smallest magnitudes of fp8_e5m2 in one sum: +max, +min_subnormal, -max.
    fmt = get("fp8_e5m2")
    one = int(fmt.encode(np.array([1.0]))[0])
    big = int(fmt.encode(np.array([fmt.max_value]))[0])
    neg_big = int(fmt.encode(np.array([-fmt.max_value]))[0])
    tiny = int(fmt.encode(np.array([fmt.min_subnormal]))[0])
    r = dot(fmt, [big, tiny, neg_big], fmt, [big, tiny, big])
    assert r.ints.dtype == object
    assert Fraction(int(r.ints)) * Fraction(2) ** r.lsb_exp == Fraction(fmt.min_subnormal) ** 2
    assert r.to_float() == fmt.min_subnormal**2
    assert dot(fmt, [one], fmt, [one]).to_float() == 1.0


def test_int64_sums_when_they_fit() -> None:
    rng = np.random.default_rng(1)
    ca = rng.integers(0, 256, 1000)
    assert dot("int8", ca, "int8", ca).ints.dtype == np.int64
    assert dot("fp8_e4m3", ca, "fp8_e4m3", ca).ints.dtype == np.int64
    assert dot("fp8_e5m2", ca, "fp8_e5m2", ca).ints.dtype == object


def test_axis_and_shape() -> None:
    rng = np.random.default_rng(2)
    ca, cw = rng.integers(0, 16, (3, 4, 5)), rng.integers(0, 16, (3, 4, 5))
    r = dot("int4", ca, "int4", cw, axis=1)
    v = get("int4").values()
    assert r.ints.shape == (3, 5)
    assert np.array_equal(r.to_float(), (v[ca] * v[cw]).sum(axis=1))


def test_speed() -> None:
    # CPU time of this process, not wall time: a shared machine must not fail the bound.
    rng = np.random.default_rng(0)
    a8, w8 = rng.integers(0, 256, (8, 256)), rng.integers(0, 256, (256, 8))
    big_a, big_w = rng.integers(0, 256, 1 << 20), rng.integers(0, 256, 1 << 20)
    for name in ("int8", "fp8_e4m3", "fp8_e5m2"):
        gemm(name, a8, name, w8)  # warm the per-format tables
        t0 = time.process_time()
        gemm(name, a8, name, w8)
        t1 = time.process_time()
        dot(name, big_a, name, big_w)
        t2 = time.process_time()
        assert t1 - t0 < 0.05, (name, t1 - t0)
        assert t2 - t1 < 0.5, (name, t2 - t1)


def test_bad_arguments() -> None:
    with pytest.raises(HwgenError, match=r"^gemm needs 2-D codes A\[M, K\] and W\[K, N\], not"):
        gemm("int8", [1, 2], "int8", [[1], [2]])
    with pytest.raises(HwgenError, match=r"^inner dimensions must match: A is \(1, 2\), W is"):
        gemm("int8", [[1, 2]], "int8", [[1, 2, 3]])
    with pytest.raises(HwgenError, match=r"^axis must be in \[-1, 0\], not 1$"):
        dot("int8", [1, 2], "int8", [1, 2], axis=1)
    with pytest.raises(HwgenError, match=r"^dot needs codes with at least one dimension"):
        dot("int8", 1, "int8", 2)
    with pytest.raises(HwgenError, match=r"^multiplier must be one of exact, lmul, not 'fast'$"):
        dot("fp8_e4m3", [1], "fp8_e4m3", [2], multiplier="fast")  # type: ignore[arg-type]


def test_product_ints_and_dot_agree() -> None:
    rng = np.random.default_rng(5)
    ca, cw = rng.integers(0, 64, (6, 9)), rng.integers(0, 64, (6, 9))
    p = product_ints("fp6_e2m3", ca, "fp6_e2m3", cw)
    d = dot("fp6_e2m3", ca, "fp6_e2m3", cw)
    assert np.array_equal(p.ints.sum(axis=-1), d.ints)
