"""An independent float-accumulator reference: exact Fractions, one rounding per step.

Written from the rules in ``docs/decisions.md`` ("Float accumulation") with plain Python
arithmetic, sharing no code with :mod:`hwgen.golden.float_acc`: values are Fractions,
rounding finds the binade by comparing with powers of two, and codes come from the
format's ``encode`` of an exactly representable value (no rounding left to do there).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from hwgen.formats import MinifloatFormat, SpecialPolicy

NAN = "nan"


def _floor_log2(x: Fraction) -> int:
    e = x.numerator.bit_length() - x.denominator.bit_length()
    while Fraction(2) ** e > x:
        e -= 1
    while Fraction(2) ** (e + 1) <= x:
        e += 1
    return e


def _rne(x: Fraction) -> int:
    f = math.floor(x)
    rem = x - f
    if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and f % 2 == 1):
        return f + 1
    return f


def round_value(fmt: MinifloatFormat, flush: bool, v: Fraction) -> Fraction | float | str:
    """``v`` (non-zero) rounded once: a Fraction, a signed inf (float) or NAN."""
    neg = v < 0
    a = -v if neg else v
    e = _floor_log2(a)
    m, emin = fmt.man_bits, fmt.emin
    if flush or e >= emin:
        q = e - m
    else:
        q = emin - m if fmt.subnormals else emin
    r = _rne(a / Fraction(2) ** q) * Fraction(2) ** q
    if flush and r < Fraction(2) ** emin:
        r = Fraction(0)
    if r > Fraction(fmt.max_value):
        if fmt.specials is SpecialPolicy.IEEE:
            return -math.inf if neg else math.inf
        if fmt.specials is SpecialPolicy.FN:
            return NAN
        r = Fraction(fmt.max_value)
    if r == 0:
        return -0.0 if neg else 0.0  # signed zero as a float
    return -r if neg else r


def to_code(fmt: MinifloatFormat, x: Fraction | float | str) -> int:
    """Code of a representable value (Fraction, signed zero / inf as float, NAN)."""
    if x == NAN:
        return int(fmt.canonical_nan)
    return int(fmt.encode(np.array([float(x)], dtype=np.float64))[0])


def add(fmt: MinifloatFormat, flush: bool, x, y):
    """IEEE-style ``round(x + y)``; operands are Fractions, signed zeros/infs (floats), NAN."""
    if x == NAN or y == NAN:
        return NAN
    xinf = isinstance(x, float) and math.isinf(x)
    yinf = isinstance(y, float) and math.isinf(y)
    if xinf and yinf and x != y:
        return NAN
    if xinf or yinf:
        r = x if xinf else y
        return r if fmt.specials is SpecialPolicy.IEEE else NAN
    s = Fraction(x) + Fraction(y)
    if s == 0:
        both_neg = math.copysign(1, float(x)) < 0 and math.copysign(1, float(y)) < 0
        return -0.0 if both_neg else 0.0
    return round_value(fmt, flush, s)


def product_value(a_val: float, w_val: float):
    """Exact product of two decoded operand values (Fraction, signed zero/inf, or NAN)."""
    if math.isnan(a_val) or math.isnan(w_val):
        return NAN
    if math.isinf(a_val) or math.isinf(w_val):
        if a_val == 0 or w_val == 0:
            return NAN
        return math.copysign(math.inf, a_val) * math.copysign(1, w_val)
    p = Fraction(a_val) * Fraction(w_val)
    if p == 0:
        return math.copysign(0.0, a_val) * math.copysign(1.0, w_val)
    return p


def trace(fmt: MinifloatFormat, flush: bool, fused: bool, products, valid, clear) -> list[int]:
    """Accumulator code after each cycle of one lane."""
    state = 0.0
    out = []
    for p, v, c in zip(products, valid, clear, strict=True):
        if not fused and v:
            p = p if p == NAN or isinstance(p, float) else round_value(fmt, flush, p)
            if isinstance(p, float) and math.isinf(p) and fmt.specials is not SpecialPolicy.IEEE:
                p = NAN
        if v:
            start = (-0.0 if _is_neg(p) else 0.0) if c else state
            state = add(fmt, flush, start, p)
        elif c:
            state = 0.0
        out.append(to_code(fmt, state))
    return out


def _is_neg(p) -> bool:
    if p == NAN:
        return False
    return math.copysign(1.0, float(p)) < 0
