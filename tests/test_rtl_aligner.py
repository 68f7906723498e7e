# amaranth: UnusedElaboratable=no
"""Aligner: ``floor(prod * 2**(shift + offset))`` modulo ``2**width`` (offset of either sign)."""

from __future__ import annotations

import pytest
from helpers import comb_eval
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.rtl.common.aligner import Aligner


def _signed(x: int, width: int) -> int:
    x &= (1 << width) - 1
    return x - (1 << width) if x >> (width - 1) else x


@settings(max_examples=25, deadline=None)
@given(
    prod_width=st.integers(2, 12),
    shift_max=st.integers(0, 40),
    offset=st.integers(0, 5),
    narrow=st.integers(0, 20),
    data=st.data(),
)
def test_aligned_term(prod_width: int, shift_max: int, offset: int, narrow: int, data) -> None:
    exact = prod_width + shift_max + offset
    width = max(prod_width, exact - narrow)
    al = Aligner(prod_width=prod_width, shift_max=shift_max, offset=offset, width=width)
    lo, hi = -(1 << (prod_width - 1)), (1 << (prod_width - 1)) - 1
    prods = data.draw(st.lists(st.integers(lo, hi), min_size=1, max_size=20))
    prods += [lo, hi]
    shifts = [data.draw(st.integers(0, shift_max)) for _ in prods]
    shifts[-2:] = [shift_max, shift_max]
    inputs = {"prod": prods}
    if shift_max:
        inputs["shift"] = shifts
    else:
        shifts = [0] * len(prods)
    got = comb_eval(al, inputs, ["term"])["term"]
    want = [_signed(p << (s + offset), width) for p, s in zip(prods, shifts, strict=True)]
    assert got == want
    if width == exact:  # no bit lost
        assert got == [p << (s + offset) for p, s in zip(prods, shifts, strict=True)]


@settings(max_examples=40, deadline=None)
@given(
    prod_width=st.integers(2, 12),
    shift_max=st.integers(0, 24),
    drop=st.integers(1, 30),
    narrow=st.integers(0, 12),
    data=st.data(),
)
def test_truncating_term(prod_width: int, shift_max: int, drop: int, narrow: int, data) -> None:
    """A negative offset drops the low bits of ``prod << shift``: floor, modulo 2**width."""
    exact = max(1, prod_width + shift_max - drop)
    width = max(1, exact - narrow)
    al = Aligner(prod_width=prod_width, shift_max=shift_max, offset=-drop, width=width)
    lo, hi = -(1 << (prod_width - 1)), (1 << (prod_width - 1)) - 1
    prods = data.draw(st.lists(st.integers(lo, hi), min_size=1, max_size=20))
    prods += [lo, hi, -1, 1]
    shifts = [data.draw(st.integers(0, shift_max)) for _ in prods]
    inputs = {"prod": prods}
    if shift_max:
        inputs["shift"] = shifts
    else:
        shifts = [0] * len(prods)
    got = comb_eval(al, inputs, ["term"])["term"]
    # Independent reference: Python's floor division of the exact shifted product.
    floors = [(p * 2**s) // 2**drop for p, s in zip(prods, shifts, strict=True)]
    assert got == [_signed(f, width) for f in floors]
    if width == exact:
        assert got == floors


def test_bad_arguments() -> None:
    with pytest.raises(HwgenError, match=r"offset must be an integer, not 1\.5"):
        Aligner(prod_width=4, shift_max=3, offset=1.5, width=8)  # type: ignore[arg-type]
    with pytest.raises(HwgenError, match="width must be >= 1, not 0"):
        Aligner(prod_width=4, shift_max=3, offset=0, width=0)
