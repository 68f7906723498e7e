"""Exact integer matrix products on the float64 BLAS, against Python-int products."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.accuracy.exact_matmul import exact_matmul, magnitude_bound


def _ints(rng: np.random.Generator, bits: int, shape: tuple[int, int]) -> np.ndarray:
    hi = 1 << min(bits, 62)
    return rng.integers(-hi + 1, hi, shape, dtype=np.int64)


@settings(max_examples=60, deadline=None)
@given(
    bx=st.integers(0, 62),
    by=st.integers(0, 62),
    m=st.integers(1, 5),
    k=st.integers(1, 300),
    n=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_matches_python_ints(bx: int, by: int, m: int, k: int, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = _ints(rng, bx, (m, k)), _ints(rng, by, (k, n))
    got = exact_matmul(x, y)
    want = x.astype(object) @ y.astype(object)
    assert np.array_equal(got.astype(object), want)
    bound = k * magnitude_bound(x) * magnitude_bound(y)
    assert got.dtype == (np.int64 if bound < 1 << 62 else object)


def test_extreme_values_and_signs() -> None:
    # Every value at the int64 limits the operands allow (both signs), long K.
    k = 4096
    x = np.full((2, k), (1 << 61) - 1, dtype=np.int64)
    x[1] = -(1 << 61)
    y = np.full((k, 2), -(1 << 40), dtype=np.int64)
    y[:, 1] = (1 << 40) - 1
    got = exact_matmul(x, y)
    assert np.array_equal(got, x.astype(object) @ y.astype(object))


def test_float_path_is_used_for_narrow_operands() -> None:
    rng = np.random.default_rng(0)
    x, y = _ints(rng, 8, (64, 1024)), _ints(rng, 8, (1024, 32))
    got = exact_matmul(x, y)
    assert got.dtype == np.int64
    assert np.array_equal(got, x @ y)


def test_zero_and_empty_operands() -> None:
    z = np.zeros((3, 4), dtype=np.int64)
    assert np.array_equal(exact_matmul(z, np.ones((4, 2), np.int64)), np.zeros((3, 2)))
    assert exact_matmul(np.zeros((3, 0), np.int64), np.zeros((0, 2), np.int64)).shape == (3, 2)


@pytest.mark.parametrize("given_bounds", [True, False])
def test_given_bounds_are_used(given_bounds: bool) -> None:
    x = np.array([[1 << 40, -(1 << 40)]], dtype=np.int64)
    y = np.array([[1 << 30], [3]], dtype=np.int64)
    kw = {"x_bound": 1 << 40, "y_bound": 1 << 30} if given_bounds else {}
    got = exact_matmul(x, y, **kw)
    assert int(got[0, 0]) == (1 << 70) - 3 * (1 << 40)
