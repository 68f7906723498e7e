# amaranth: UnusedElaboratable=no
"""Accumulator: valid / clear and the overflow policies against ``hwgen.golden.mac_trace``.

The term sequence is modelled as products ``t * 1`` of a ``intN`` activation with an
``int2`` weight of 1, so the golden model sees exactly the accumulator's input.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import clocked_eval
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.formats import get_format
from hwgen.golden import AccumulatorSpec, Overflow, mac_trace
from hwgen.rtl.common.accumulator import Accumulator


def _check(term_width: int, bits: int, overflow: Overflow, terms, valid, clear) -> None:
    acc = Accumulator(term_width=term_width, bits=bits, overflow=overflow)
    got = clocked_eval(acc, {"term": terms, "valid": valid, "clear": clear}, ["acc"])["acc"]
    a_fmt = get_format(f"int{term_width}")
    one = int(get_format("int2").encode(1.0))
    gold = mac_trace(
        a_fmt,
        a_fmt.encode(np.asarray(terms, dtype=np.float64)),
        "int2",
        np.full(len(terms), one),
        np.asarray(valid, bool),
        np.asarray(clear, bool),
        acc=AccumulatorSpec(bits=bits, lsb_exp=0),
        overflow=overflow,
    )
    assert got == [int(x) for x in gold.acc]


@settings(max_examples=30, deadline=None)
@given(
    term_width=st.integers(2, 12),
    extra=st.integers(-10, 6),
    overflow=st.sampled_from([Overflow.WRAP, Overflow.SATURATE]),
    data=st.data(),
)
def test_policies(term_width: int, extra: int, overflow: Overflow, data) -> None:
    bits = max(2, term_width + extra)
    if overflow is Overflow.WRAP:
        bits = max(bits, term_width)
    lo, hi = -(1 << (term_width - 1)), (1 << (term_width - 1)) - 1
    n = data.draw(st.integers(1, 40))
    terms = data.draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n))
    valid = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    clear = data.draw(st.lists(st.sampled_from([0, 0, 0, 0, 1]), min_size=n, max_size=n))
    _check(term_width, bits, overflow, terms, valid, clear)


def test_clear_and_valid_corner_cases() -> None:
    # hold, clear alone, clear with valid, back-to-back clears, valid after clear.
    terms = [5, 7, -3, 100, 9, -9, 4, 4, 4]
    valid = [1, 0, 1, 0, 1, 1, 0, 0, 1]
    clear = [0, 0, 0, 1, 1, 1, 1, 0, 0]
    _check(8, 12, Overflow.EXACT, terms, valid, clear)


def test_saturation_clamps_both_sides_and_recovers() -> None:
    terms = [127, 127, 127, -128, -128, -128, -128, -128, 127, 1]
    _check(8, 9, Overflow.SATURATE, terms, [1] * 10, [0] * 10)
    # A term far wider than the accumulator: clamped to bits + 1 first, no change of result.
    _check(12, 4, Overflow.SATURATE, [2047, -2048, 9, -9, 7, 1], [1] * 6, [0, 0, 1, 0, 0, 0])


def test_rejects_term_wider_than_wrapping_accumulator() -> None:
    with pytest.raises(HwgenError, match="a 10-bit term does not fit a 8-bit wrap accumulator"):
        Accumulator(term_width=10, bits=8, overflow=Overflow.WRAP)
