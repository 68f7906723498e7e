"""Conversion to <= 8-bit formats by a lookup on the input's bit pattern.

Take the upper 16 bits of a float32 (sign, exponent, 7 mantissa bits) or of a float64
(sign, exponent, 4 mantissa bits). When every rounding decision point of a format (the
midpoints between neighbouring values, the overflow thresholds) is representable in those
upper bits, the correctly rounded code of any input depends only on its upper 16 bits and
on whether the remaining lower bits are all zero (the sticky bit). A 2**17-entry table
indexed by ``upper << 1 | sticky`` then converts exactly with a few vectorised integer
operations and one gather. This holds for minifloats with at most 6 (float32) or 3
(float64) mantissa bits and for the table formats of the registry.

Each table is built once per (format, input dtype, overflow mode) from the format's exact
encoder and *proved* at build time: rounding is monotone, so if the representatives with
the smallest and the largest non-zero lower half agree for every upper half, every lower
half agrees. A format for which that proof fails simply has no table.

Work is done in chunks of 16 Ki elements so the intermediates stay in cache (on a
memory-bound pipeline that is worth about 2x) and stay below glibc's mmap threshold (larger
temporaries are mapped and page-faulted afresh on every allocation).

:func:`value_table` holds the *value* of each table entry instead of its code, for
round-to-nearest without a second gather (:func:`nearest_index64` computes the index of
finite float64 inputs with four integer operations).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np

CHUNK = 1 << 14
_SHIFT64 = np.uint64(48)
_LOW64 = np.uint64((1 << 48) - 1)

# Per input dtype: (unsigned view dtype, width of the lower part in bits).
_LAYOUT: dict[np.dtype, tuple[type[np.unsignedinteger], int]] = {
    np.dtype(np.float32): (np.uint32, 16),
    np.dtype(np.float64): (np.uint64, 48),
}

Encoder = Callable[[np.ndarray], np.ndarray]


def _representatives(dtype: np.dtype, low: int) -> np.ndarray:
    uint_t, shift = _LAYOUT[dtype]
    hi = np.arange(1 << 16, dtype=uint_t) << uint_t(shift)
    reps = np.empty(1 << 17, dtype=uint_t)
    reps[0::2] = hi
    reps[1::2] = hi | uint_t(low)
    with np.errstate(invalid="ignore"):  # signalling-NaN patterns are among them
        return reps.view(dtype).astype(np.float64)


@cache
def lookup_table(fmt: object, dtype: np.dtype, saturate: bool) -> np.ndarray | None:
    """The proved ``uint8[2**17]`` code table, or ``None`` when the format needs more bits.

    ``fmt`` must have ``bits <= 8`` and an ``encode_exact(x_float64, saturate=...)``.
    """
    dtype = np.dtype(dtype)
    if dtype not in _LAYOUT or fmt.bits > 8:  # type: ignore[attr-defined]
        return None
    _, shift = _LAYOUT[dtype]
    exact: Encoder = lambda v: fmt.encode_exact(v, saturate=saturate)  # type: ignore[attr-defined]  # noqa: E731
    table = exact(_representatives(dtype, 1))
    if not np.array_equal(table, exact(_representatives(dtype, (1 << shift) - 1))):
        return None
    table = table.astype(np.uint8)
    table.setflags(write=False)
    return table


def encode_lookup(table: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Codes of ``x`` (float32 or float64) through ``table`` from :func:`lookup_table`."""
    shape = np.shape(x)
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(flat.size, dtype=np.uint8)
    if flat.dtype == np.float32:
        for start in range(0, flat.size, CHUNK):
            u32 = flat[start : start + CHUNK].view(np.uint32)
            idx = (u32 >> np.uint32(16)).astype(np.intp)
            idx <<= 1
            idx |= (u32 & np.uint32(0xFFFF)) != 0
            np.take(table, idx, out=out[start : start + CHUNK], mode="clip")
    else:
        for start in range(0, flat.size, CHUNK):
            u64 = flat[start : start + CHUNK].view(np.uint64)
            # The shifted value is < 2**16: reinterpret it instead of casting (a cast from
            # uint64 to intp costs more than the whole conversion).
            idx = (u64 >> _SHIFT64).view(np.intp)
            idx <<= 1
            idx |= (u64 & _LOW64) != 0
            np.take(table, idx, out=out[start : start + CHUNK], mode="clip")
    return out.reshape(shape)


@cache
def value_table(fmt: object, dtype: np.dtype, saturate: bool) -> np.ndarray | None:
    """``fmt.values()`` of every entry of :func:`lookup_table` (float64), or ``None``."""
    codes = lookup_table(fmt, dtype, saturate)
    if codes is None:
        return None
    table = fmt.values()[codes]  # type: ignore[attr-defined]
    table.setflags(write=False)
    return table


def nearest_index64(u: np.ndarray, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Table index ``upper16 << 1 | sticky`` of float64 bit patterns ``u`` (uint64), into ``out``.

    ``(u + 2**48 - 1) >> 48`` is ``upper16 + sticky``, so the index is one add away.
    Precondition: every pattern is a finite float64 (upper 16 bits <= 0xFFEF), else the add
    can wrap. ``out`` and ``scratch`` are uint64 arrays of ``u``'s shape; returns ``out``
    viewed as ``intp``.
    """
    np.right_shift(u, _SHIFT64, out=out)
    np.add(u, _LOW64, out=scratch)
    np.right_shift(scratch, _SHIFT64, out=scratch)
    np.add(out, scratch, out=out)
    return out.view(np.intp)


def gather(lut: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``lut[codes]`` in cache-sized chunks (codes already range-checked)."""
    shape = np.shape(codes)
    if len(shape) == 0:
        return lut[codes]
    flat = np.ascontiguousarray(codes).reshape(-1)
    out = np.empty(flat.size, dtype=lut.dtype)
    for start in range(0, flat.size, CHUNK):
        # intp indices and mode="clip" (the codes are in range) take numpy's fast path.
        idx = flat[start : start + CHUNK].astype(np.intp)
        np.take(lut, idx, out=out[start : start + CHUNK], mode="clip")
    return out.reshape(shape)
