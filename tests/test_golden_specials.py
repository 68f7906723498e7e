"""Special-value flag words of products and sums."""

from __future__ import annotations

import numpy as np
import pytest

from hwgen.errors import HwgenError
from hwgen.formats import get
from hwgen.golden import ExactResult, Flag, dot, product_flags, reduce_flags

NAN, PINF, NINF = Flag.NAN, Flag.PINF, Flag.NINF


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ([], 0),
        ([0, 0], 0),
        ([PINF, 0, PINF], PINF),
        ([NINF], NINF),
        ([PINF, NINF], NAN | PINF | NINF),  # +inf + -inf is NaN; both inf bits stay set
        ([NAN, PINF], NAN | PINF),
    ],
)
def test_reduce_flags(terms: list[int], expected: int) -> None:
    assert int(reduce_flags(np.array(terms, dtype=np.uint8))) == expected


def test_reduce_flags_along_an_axis() -> None:
    f = np.array([[PINF, NINF], [0, NINF]], dtype=np.uint8)
    assert reduce_flags(f, axis=0).tolist() == [PINF, NINF]
    assert reduce_flags(f, axis=1).tolist() == [NAN | PINF | NINF, NINF]


def test_formats_without_specials_never_flag() -> None:
    for name in ("int8", "fp4_e2m1", "fp6_e3m2", "flint4"):
        fmt = get(name)
        codes = np.arange(1 << fmt.bits)
        assert not np.any(product_flags(fmt, codes[:, None], fmt, codes[None, :]))


def test_e4m3_nan_times_anything_is_nan() -> None:
    fmt = get("fp8_e4m3")
    codes = np.arange(1 << fmt.bits)
    nan_codes = np.array(fmt.nan_codes)
    f = product_flags(fmt, nan_codes[:, None], fmt, codes[None, :])
    assert np.all(f == NAN)


def test_values_apply_flags_over_the_finite_part() -> None:
    r = ExactResult(
        ints=np.array([3, 3, 3, 3], dtype=np.int64),
        flags=np.array([0, PINF, NINF, NAN | PINF | NINF], dtype=np.uint8),
        lsb_exp=-1,
    )
    v = r.values()
    assert v[:3].tolist() == [1.5, np.inf, -np.inf] and np.isnan(v[3])
    assert r.to_float().tolist() == [1.5] * 4


def test_dot_of_opposite_infinities_is_nan() -> None:
    fmt = get("fp8_e5m2")
    pinf, ninf, one = (int(fmt.encode(np.array([x]))[0]) for x in (np.inf, -np.inf, 1.0))
    r = dot(fmt, [pinf, ninf, one], fmt, [one, one, one])
    assert int(r.flags) == NAN | PINF | NINF
    assert np.isnan(r.values())


def test_product_flags_validates_codes() -> None:
    with pytest.raises(HwgenError, match=r"^w_codes must be codes of fp8_e4m3 in \[0, 255\]"):
        product_flags("fp8_e4m3", [0], "fp8_e4m3", [256])
