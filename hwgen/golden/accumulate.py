"""Cycle-by-cycle model of a MAC unit's accumulator and sticky special-value flags.

Per cycle (docs/hardware.md), with ``p`` the product of that cycle's ``a`` and ``w``:

==========  ==========  =================================  =======================
``valid``   ``clear``   accumulator                        flags
==========  ==========  =================================  =======================
1           1           ``acc := p``                       ``flags := flags(p)``
1           0           ``acc := acc + p``                 ``flags |= flags(p)``
0           1           ``acc := 0``                       ``flags := 0``
0           0           hold                               hold
==========  ==========  =================================  =======================

Both start at 0 (the state after reset). The integer accumulator holds only the *finite*
part: a product that is NaN or +-inf adds 0, and the flags tell the rest (the value is NaN
if ``NAN`` is set, else +-inf if an inf bit is set, else ``acc``). ``NAN`` is also set once
both ``PINF`` and ``NINF`` have been seen since the last clear.

Overflow policies for an ``acc.bits``-bit accumulator: ``EXACT`` raises if a value leaves
the range (the accumulator was sized too small), ``WRAP`` keeps the value modulo
``2**bits`` (two's complement adder, no detection), ``SATURATE`` clamps after every addition.

Vectorisation: ``EXACT`` and ``WRAP`` are a cumulative sum between clears (segment-wise
cumsum: global cumsum minus its value just before the segment's clear), computed modulo
2**64 in ``uint64`` when the accumulator has <= 64 bits -- exact for ``WRAP``, and for
``EXACT`` the first value to leave the range is still seen correctly because it is at
most one product away from the range. ``SATURATE`` is inherently sequential, but
``x -> clamp(x + a, L, H)`` functions are closed under composition, so the trace is a
blocked scan of ``(a, L, H)`` triples: about ``2 sqrt(cycles)`` vectorised steps.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen._validate import check_type
from hwgen.errors import HwgenError
from hwgen.formats import Format
from hwgen.golden._operands import as_codes, as_flags, resolve_format
from hwgen.golden._terms import terms_to_ints
from hwgen.golden.products import Multiplier, product_terms
from hwgen.golden.rounding import to_float
from hwgen.golden.sizing import AccumulatorSpec
from hwgen.golden.specials import Flag, settle

WINDOW_ROUNDING = "floor"
"""How a product is cut to an accumulator whose LSB lies above the product's (``acc_lsb``):
its low bits are dropped (:func:`window_truncate`, rounding towards -inf)."""


class Overflow(enum.StrEnum):
    """What the accumulator does when a sum leaves its range."""

    EXACT = "exact"
    WRAP = "wrap"
    SATURATE = "saturate"


@dataclass(frozen=True)
class MacTrace:
    """State of a MAC unit after each cycle.

    Attributes
    ----------
    acc
        Accumulator after each cycle (signed ints in units of ``2**spec.lsb_exp``): ``int64``
        when ``spec.bits <= 64``, else an object array of Python ints.
    flags
        ``uint8`` sticky flag word after each cycle (:class:`~hwgen.golden.specials.Flag`).
    spec
        The accumulator the trace was computed for.
    """

    acc: np.ndarray
    flags: np.ndarray
    spec: AccumulatorSpec

    def to_float(self) -> np.ndarray:
        """Accumulator values as float64 (exact when representable)."""
        return to_float(self.acc, self.spec.lsb_exp)


def _as_overflow(value: object) -> Overflow:
    try:
        return Overflow(value)  # type: ignore[arg-type]  # any value: invalid ones raise below
    except ValueError:
        allowed = ", ".join(o.value for o in Overflow)
        raise HwgenError(f"overflow must be one of {allowed}, not {value!r}") from None


def _sticky_flags(f: np.ndarray, last_clear: np.ndarray) -> np.ndarray:
    """Per cycle, the OR of ``f`` since the last clear (inclusive), then :func:`settle`."""
    t = np.arange(f.size)
    out = np.zeros(f.size, dtype=np.uint8)
    for bit in (Flag.NAN, Flag.PINF, Flag.NINF):
        last_set = np.maximum.accumulate(np.where(f & bit, t, -1)) if f.size else t
        out |= ((last_set >= last_clear) & (last_set >= 0)).astype(np.uint8) * np.uint8(bit)
    return settle(out)


def _segment_sums_u64(c: np.ndarray, last_clear: np.ndarray) -> np.ndarray:
    """Segment-wise cumulative sums modulo 2**64 (``c`` int64, wrap-around intended)."""
    csum = np.cumsum(c.view(np.uint64), dtype=np.uint64)
    base = np.where(last_clear > 0, csum[np.maximum(last_clear - 1, 0)], np.uint64(0))
    return csum - base


def _segment_sums_obj(c: np.ndarray, last_clear: np.ndarray) -> np.ndarray:
    csum = np.cumsum(c.astype(object)) if c.size else c.astype(object)
    base = np.where(last_clear > 0, csum[np.maximum(last_clear - 1, 0)], 0)
    return np.asarray(csum - base, dtype=object)


def _wrap_u64(x: np.ndarray, bits: int) -> np.ndarray:
    """Reduce uint64 values modulo ``2**bits`` and read them as signed ``bits``-bit ints."""
    if bits == 64:
        return x.view(np.int64)
    mask = np.uint64((1 << bits) - 1)
    sign = np.uint64(1 << (bits - 1))
    y = x & mask
    return (y ^ sign).astype(np.int64) - np.int64(1 << (bits - 1))


def _check_exact(acc: np.ndarray, spec: AccumulatorSpec) -> None:
    bad = (acc < spec.lo) | (acc > spec.hi)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise HwgenError(
            f"accumulator overflow at cycle {i}: {acc[i]} is outside [{spec.lo}, {spec.hi}]"
            f" of a {spec.bits}-bit accumulator (overflow='exact'; size it with"
            f" accumulator_spec or choose 'wrap' / 'saturate')"
        )


def _compose(
    f: tuple[np.ndarray, np.ndarray, np.ndarray],
    g: tuple[np.ndarray, np.ndarray, np.ndarray],
    lo: int,
    hi: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``g`` after ``f`` for clamp-add functions ``(a, L, H)`` (see :func:`_saturating_scan`)."""
    a1, l1, h1 = f
    a2, l2, h2 = g
    new_l = np.minimum(np.maximum(l1 + a2, l2), h2)
    new_h = np.minimum(np.maximum(h1 + a2, l2), h2)
    return np.minimum(np.maximum(a1 + a2, new_l - hi), new_h - lo), new_l, new_h


def _saturating_scan(
    p: np.ndarray, valid: np.ndarray, clear: np.ndarray, spec: AccumulatorSpec
) -> np.ndarray:
    """Saturating accumulation as a blocked scan of clamp-add functions.

    Cycle ``t`` applies ``f_t(x) = clamp(x + a_t, L_t, H_t)``: hold ``(0, lo, hi)``,
    add ``(p, lo, hi)``, load ``(0, c, c)`` with ``c = clamp(p)`` or 0. Composition
    (``f1`` then ``f2``) is ``(a1 + a2, clamp(L1 + a2, L2, H2), clamp(H1 + a2, L2, H2))``.
    The state is always in ``[lo, hi]``, so ``a`` may be clamped to ``[L - hi, H - lo]``
    without changing the function there; that keeps every number within
    ``2**(bits+1)`` and lets the scan run in int64 for accumulators up to 61 bits.

    The ``n`` cycles are cut into about ``sqrt(n)`` blocks of about ``sqrt(n)`` cycles:
    one pass composes each block's function (vectorised over blocks), a short loop
    chains the blocks' start values, and a second pass applies the cycles (again
    vectorised over blocks): ``2 sqrt(n)`` small vector steps instead of ``n`` scalar ones.
    """
    lo, hi = spec.lo, spec.hi
    dtype = np.int64 if spec.bits <= 61 else object
    if dtype is object:
        p = p.astype(object)
    n = p.size
    # Clamping a product to [lo - hi, hi - lo] changes no saturated result (see above).
    pc = np.minimum(np.maximum(p, lo - hi), hi - lo).astype(dtype)
    load = np.where(valid, np.minimum(np.maximum(pc, lo), hi), 0)
    length = max(1, int(np.ceil(np.sqrt(n))))
    blocks = -(-n // length) if n else 0
    pad = blocks * length - n

    def columns(x: np.ndarray, fill: int) -> np.ndarray:
        # (length, blocks): row j holds cycle j of every block, contiguous for fast steps.
        x = np.concatenate([np.asarray(x, dtype=dtype), np.full(pad, fill, dtype=dtype)])
        return np.ascontiguousarray(x.reshape(blocks, length).T)

    a = columns(np.where(valid & ~clear, pc, 0), 0)
    big_l = columns(np.where(clear, load, lo), lo)
    big_h = columns(np.where(clear, load, hi), hi)
    fa = np.zeros(blocks, dtype=dtype)
    f = (fa, np.full(blocks, lo, dtype=dtype), np.full(blocks, hi, dtype=dtype))
    for j in range(length):
        f = _compose(f, (a[j], big_l[j], big_h[j]), lo, hi)
    starts = np.zeros(blocks, dtype=dtype)
    x = 0
    for b in range(blocks):  # one scalar step per block
        starts[b] = x
        x = min(max(x + int(f[0][b]), int(f[1][b])), int(f[2][b]))
    out = np.empty((length, blocks), dtype=dtype)
    state = starts
    for j in range(length):
        state = np.minimum(np.maximum(state + a[j], big_l[j]), big_h[j])
        out[j] = state
    acc = out.T.reshape(-1)[:n]
    return acc.astype(np.int64) if spec.bits <= 64 else np.asarray(acc, dtype=object)


def mac_trace(
    a_format: str | Format,
    a_codes: npt.ArrayLike,
    w_format: str | Format,
    w_codes: npt.ArrayLike,
    valid: npt.ArrayLike,
    clear: npt.ArrayLike,
    *,
    acc: AccumulatorSpec,
    overflow: Overflow = Overflow.EXACT,
    multiplier: Multiplier = Multiplier.EXACT,
) -> MacTrace:
    """Model a MAC unit over a sequence of cycles (semantics in the module docstring).

    Parameters
    ----------
    a_format, w_format
        Registry names or format objects.
    a_codes, w_codes
        1-D raw codes, one per cycle (ignored on cycles without ``valid``).
    valid, clear
        1-D control inputs per cycle (booleans or 0/1), same length as the codes.
    acc
        The accumulator. Products are shifted to its LSB; when ``acc.lsb_exp`` exceeds
        ``a.lsb_exp + w.lsb_exp`` (a window above the finest product bit, ``WRAP`` or
        ``SATURATE`` only) each product first loses the bits below it
        (:func:`window_truncate`: floor, towards -inf).
    overflow
        :class:`Overflow` policy.
    multiplier
        :class:`~hwgen.golden.products.Multiplier` producing the products.

    Returns
    -------
    MacTrace
        Accumulator and flags after each cycle.

    Raises
    ------
    HwgenError
        On bad arguments, or with ``overflow=EXACT`` when a value leaves the range.
    """
    check_type("acc", acc, AccumulatorSpec)
    policy = _as_overflow(overflow)
    a_fmt = resolve_format(a_format, role="a_format")
    w_fmt = resolve_format(w_format, role="w_format")
    a_idx = as_codes(a_fmt, a_codes, role="a_codes")
    w_idx = as_codes(w_fmt, w_codes, role="w_codes")
    v = as_flags(valid, role="valid")
    c = as_flags(clear, role="clear")
    shapes = {a_idx.shape, w_idx.shape, v.shape, c.shape}
    if len(shapes) != 1 or a_idx.ndim != 1:
        raise HwgenError(
            "a_codes, w_codes, valid and clear must be 1-D and of equal length, not shapes "
            f"{a_idx.shape}, {w_idx.shape}, {v.shape}, {c.shape}"
        )
    t = product_terms(a_fmt, a_idx, w_fmt, w_idx, multiplier)
    up = t.lsb_exp - acc.lsb_exp
    if up < 0 and policy is Overflow.EXACT:
        raise HwgenError(
            f"acc.lsb_exp must be <= {t.lsb_exp} (a.lsb_exp + w.lsb_exp) with overflow='exact',"
            f" not {acc.lsb_exp}: a coarser LSB drops product bits (use 'wrap' or 'saturate')"
        )
    n = a_idx.size
    cycles = np.arange(n)
    last_clear = np.maximum.accumulate(np.where(c, cycles, -1)) if n else cycles
    flags = _sticky_flags(np.where(v, t.flags, 0).astype(np.uint8), last_clear)

    p = terms_to_ints(t)
    if up >= 0:
        bound = t.product_bound << up
        narrow = p.dtype != object and bound < (1 << 62)
        p = p << up if narrow else p.astype(object) << up
    else:
        # A window above the products' LSB: each product is truncated on its own, before
        # the addition, by dropping its low bits (floor, towards -inf), as the aligner does.
        p = window_truncate(p, -up)
        bound = (t.product_bound >> -up) + 1
        if p.dtype == object and bound < (1 << 62):
            p = p.astype(np.int64)
    p = np.where(v, p, 0)
    if policy is Overflow.SATURATE:
        out = _saturating_scan(p, v, c, acc)
    else:
        out = _running_sums(p, last_clear, acc, policy, bound=bound)
    return MacTrace(acc=out, flags=flags, spec=acc)


def window_truncate(p: np.ndarray, drop: int) -> np.ndarray:
    """Products ``p`` (integers) with their ``drop`` low bits removed: ``floor(p / 2**drop)``.

    The one rounding of a windowed accumulator (:data:`WINDOW_ROUNDING`, ``"floor"``):
    truncation of the two's complement product, so every result is rounded towards -inf
    (``-1`` for a negative product smaller than one LSB). ``int64`` stays ``int64``;
    Python ints stay Python ints.
    """
    if drop < 0:
        raise HwgenError(f"drop must be >= 0, not {drop}")
    if p.dtype == object:
        return np.asarray(p >> drop, dtype=object)
    return np.asarray(p, dtype=np.int64) >> np.int64(min(drop, 63))


def _running_sums(
    p: np.ndarray, last_clear: np.ndarray, spec: AccumulatorSpec, policy: Overflow, *, bound: int
) -> np.ndarray:
    """EXACT / WRAP accumulation: segment-wise cumulative sums, then the overflow policy.

    ``bound`` bounds ``|p|``. The uint64 path is exact for WRAP up to 64 bits; for EXACT it
    needs the first out-of-range value (at most one product beyond the range) to fit in
    int64, so that it cannot alias into the range.
    """
    u64 = spec.bits <= 64 if policy is Overflow.WRAP else bound + (1 << (spec.bits - 1)) < 1 << 63
    if u64:
        c64 = p if p.dtype != object else _mod_u64(p)
        x = _wrap_u64(_segment_sums_u64(np.asarray(c64, dtype=np.int64), last_clear), 64)
        if policy is Overflow.WRAP:
            return _wrap_u64(x.view(np.uint64), spec.bits)
        _check_exact(x, spec)
        return x
    wide = _segment_sums_obj(p, last_clear)
    if policy is Overflow.WRAP:
        half, mod = 1 << (spec.bits - 1), 1 << spec.bits
        wide = (wide + half) % mod - half
    else:
        _check_exact(wide, spec)
    return wide.astype(np.int64) if spec.bits <= 64 else np.asarray(wide, dtype=object)


def _mod_u64(p: np.ndarray) -> np.ndarray:
    """Python-int products reduced modulo 2**64, as int64 bit patterns (for WRAP)."""
    u = np.asarray(p % (1 << 64), dtype=object).astype(np.uint64)
    return u.view(np.int64)
