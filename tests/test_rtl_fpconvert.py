# amaranth: UnusedElaboratable=no
"""FloatConverter against ``hwgen.golden.acc_to_format`` (RNE, overflow rules, specials)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import comb_eval
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.formats import get_format
from hwgen.golden import acc_to_format
from hwgen.rtl.common.fpconvert import FloatConverter

# (acc bits, acc lsb_exp, format): exact-accumulator frames of real MACs plus frames that
# put the whole range into subnormals or overflow.
CASES = [
    (49, -18, "fp16"),  # fp8_e4m3 x fp8_e4m3, 4096 terms
    (28, 0, "fp16"),  # int8 x int8: overflows fp16
    (45, -18, "fp8_e4m3"),  # fn: overflow -> NaN
    (12, -3, "fp8_e5m2"),  # ieee: overflow -> inf
    (10, -2, "fp4_e2m1"),  # no specials: saturate
    (30, -140, "bf16"),  # everything subnormal
    (80, -32, "fp16"),
    (6, 3, "fp6_e3m2"),
]


def _edge_values(bits: int, lsb_exp: int, fmt_name: str) -> list[int]:
    """Extremes, and exact ties / near-ties at every rounding position."""
    fmt = get_format(fmt_name)
    vals = [0, 1, -1, (1 << (bits - 1)) - 1, -(1 << (bits - 1))]
    for lead in range(bits - 1):
        s = max(lead - fmt.man_bits, fmt.lsb_exp - lsb_exp)
        if s < 1:
            continue
        base = (1 << lead) | (((1 << lead) - 1) & 0x55555555555555555555)
        base &= ~((1 << s) - 1)
        half = 1 << (s - 1)
        for r in (base, base | (1 << s)):  # even and odd truncated significand
            if r < (1 << (bits - 1)) - half:
                vals += [r + half, -(r + half), r + half - 1, r + half + 1]
    return vals


def _check(bits: int, lsb_exp: int, fmt_name: str, vals: list[int], flags=None) -> None:
    fmt = get_format(fmt_name)
    conv = FloatConverter(bits=bits, lsb_exp=lsb_exp, fmt=fmt, with_flags=flags is not None)
    inputs = {"acc": vals}
    if flags is not None:
        inputs["flags"] = flags
    got = comb_eval(conv, inputs, ["code"])["code"]
    gold = acc_to_format(
        np.array(vals, dtype=object),
        lsb_exp,
        fmt,
        flags=None if flags is None else np.array(flags, dtype=np.uint8),
    )
    assert got == [int(x) for x in gold]


@pytest.mark.parametrize(("bits", "lsb_exp", "fmt_name"), CASES)
def test_ties_and_extremes(bits: int, lsb_exp: int, fmt_name: str) -> None:
    _check(bits, lsb_exp, fmt_name, _edge_values(bits, lsb_exp, fmt_name))


@settings(max_examples=10, deadline=None)
@given(case=st.sampled_from(CASES), data=st.data())
def test_random_values(case, data) -> None:
    bits, lsb_exp, fmt_name = case
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    # Mostly small magnitudes, where the rounding positions differ most.
    k = data.draw(st.integers(1, bits - 1))
    vals = data.draw(
        st.lists(st.integers(max(lo, -(1 << k)), min(hi, 1 << k)), min_size=1, max_size=40)
    )
    _check(bits, lsb_exp, fmt_name, vals)


@pytest.mark.parametrize("fmt_name", ["fp16", "fp8_e4m3", "fp4_e2m1"])
def test_special_flags(fmt_name: str) -> None:
    vals = [5, -5, 0, 12345, -7] * 8
    flags = [f for f in range(8) for _ in range(5)]
    _check(24, -4, fmt_name, vals, flags)


def test_rejects_unsupported_formats() -> None:
    with pytest.raises(HwgenError, match=r"out_format must be a float format, not int \(int8\)"):
        FloatConverter(bits=8, lsb_exp=0, fmt=get_format("int8"))
    with pytest.raises(HwgenError, match="out_format fp8_e4m3_nosub has no subnormals"):
        FloatConverter(bits=8, lsb_exp=0, fmt=get_format("fp8_e4m3_nosub"))
    with pytest.raises(HwgenError, match="bits must be >= 2, not 1"):
        FloatConverter(bits=1, lsb_exp=0, fmt=get_format("fp16"))
