"""Exact add-and-round-once on minifloat values, vectorised in int64.

A finite operand is ``(neg, mag, exp)``: value ``(-1)**neg * mag * 2**exp`` with ``mag`` an
int64 of at most 33 bits (an accumulator significand or an exact product significand).

Exact sum in int64 (:func:`add`): with ``top`` the position just above the larger
operand's leading one, both operands are expressed in units of ``2**(L - 1)``,
``L = top - 60``. The larger operand is exact there (it has <= 33 bits). The other one is
exact too unless its bits reach below ``2**L``; those are replaced by one sticky bit at
``2**(L - 1)`` (the representative ``trunc + 1/2`` of everything strictly between two
multiples of ``2**L``). That happens only when the smaller operand's leading one is at
least two places below ``top - 1``, so the sum is ``> 2**(top - 2)`` and its rounding
quantum is ``>= 2**(top - 2 - man_bits)``: every rounding boundary (a multiple of half a
quantum) is a multiple of ``2**L`` (``man_bits <= 30 < 57``), so no boundary lies between
the exact sum and its representative, and one rounding of the representative equals one
rounding of the exact sum. The representative is also non-zero exactly when the sum is.

Rounding (:func:`round_to_code`) follows ``docs/decisions.md`` ("Float accumulation").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from hwgen.formats import MinifloatFormat, SpecialPolicy
from hwgen.golden.rounding import _bit_length_u64

WINDOW = 60

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


def bit_length(x: I64) -> I64:
    """Exact bit length of non-negative int64 values."""
    return _bit_length_u64(np.asarray(x, dtype=np.int64).astype(np.uint64))


def _rne_shift(mag: I64, s: I64) -> I64:
    """``round_half_even(mag / 2**s)`` for ``s >= 1`` (any size), int64."""
    bl = bit_length(mag)
    u = mag.astype(np.uint64)
    sm1 = np.clip(s - 1, 0, 63).astype(np.uint64)
    t = u >> sm1
    sticky = (u & ((np.uint64(1) << sm1) - np.uint64(1))) != 0
    r = t >> np.uint64(1)
    up = ((t & np.uint64(1)) == 1) & (sticky | ((r & np.uint64(1)) == 1))
    r = (r + up.astype(np.uint64)).astype(np.int64)
    return np.where(s > bl, 0, r)


def round_to_code(
    fmt: MinifloatFormat, flush: bool, neg: B, mag: I64, exp: I64, zero_neg: B
) -> I64:
    """Code of the finite value ``(-1)**neg * mag * 2**exp`` rounded once into ``fmt``.

    ``zero_neg`` is the sign used when ``mag == 0`` (an exact zero); a non-zero value that
    rounds or flushes to zero keeps ``neg``. Overflow follows the format's policy (IEEE:
    inf, fn: NaN, none: saturation).
    """
    m, emin = fmt.man_bits, fmt.emin
    bl = bit_length(mag)
    e = bl - 1 + exp
    if flush:
        q = e - m
    else:
        q_low = emin - m if fmt.subnormals else emin
        q = np.where(e >= emin, e - m, q_low)
    s = q - exp
    exact = s <= 0
    r = np.where(exact, mag, _rne_shift(mag, np.maximum(s, 1)))
    qe = np.where(exact, exp, q)
    bl_r = bit_length(r)
    big_e = bl_r - 1 + qe
    lsh = np.clip(m + 1 - bl_r, 0, 62)
    rsh = np.clip(bl_r - m - 1, 0, 62)
    sig = np.where(bl_r <= m + 1, r << lsh, r >> rsh)
    normal = magcode = ((big_e - emin) << m) + sig
    sub_shift = np.clip(qe - (emin - m), 0, 62)
    magcode = np.where(big_e >= emin, normal, r << sub_shift)
    zero = r == 0
    if flush:
        zero = zero | (big_e < emin)
    magcode = np.where(zero, 0, magcode)
    sign = np.where(mag == 0, zero_neg, neg)
    maxc = fmt._max_magcode
    over = magcode > maxc
    if fmt.specials is SpecialPolicy.IEEE:
        magcode = np.where(over, ((1 << fmt.exp_bits) - 1) << m, magcode)
    elif fmt.specials is SpecialPolicy.FN:
        nan = over
        nan_code = fmt.canonical_nan
        # FN formats keep exactly one NaN magnitude (all-ones), so the code always exists.
        assert nan_code is not None
        magcode = np.where(nan, nan_code, magcode)
        sign = sign & ~nan
    else:
        magcode = np.where(over, maxc, magcode)
    return magcode | (sign.astype(np.int64) << (fmt.bits - 1))


def _align(mag: I64, exp: I64, low: I64) -> I64:
    """``mag * 2**exp`` in units of ``2**(low - 1)``, bits below ``2**low`` as a sticky bit."""
    sh = exp - low + 1
    left = mag << np.clip(sh, 0, 62)
    r = np.clip(low - exp, 0, 63).astype(np.uint64)
    u = mag.astype(np.uint64)
    trunc = (u >> r).astype(np.int64)
    dropped = (u & ((np.uint64(1) << r) - np.uint64(1))) != 0
    dropped = np.where(low - exp >= 63, mag != 0, dropped)
    return np.where(sh >= 0, left, (trunc << 1) | dropped)


def add(xn: B, xm: I64, xe: I64, yn: B, ym: I64, ye: I64) -> tuple[B, I64, I64, B]:
    """Sum of two finite operands: ``(neg, mag, exp, zero_neg)`` ready for one rounding.

    The result is exact or a sticky representative (module docstring). ``zero_neg`` is the
    sign of an exact zero sum under round-to-nearest: negative only when both operands are
    negative (``(-0) + (-0)``).
    """
    floor = np.int64(-(1 << 40))
    tx = np.where(xm > 0, xe + bit_length(xm), floor)
    ty = np.where(ym > 0, ye + bit_length(ym), floor)
    top = np.maximum(tx, ty)
    low = np.where(top == floor, 0, top - WINDOW)
    vx = _align(xm, np.where(xm > 0, xe, low), low)
    vy = _align(ym, np.where(ym > 0, ye, low), low)
    total = np.where(xn, -vx, vx) + np.where(yn, -vy, vy)
    return total < 0, np.abs(total), low - 1, xn & yn
