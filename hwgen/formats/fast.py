"""float32 -> minifloat conversion by a lookup on the float32 bit pattern.

For a target with at most 6 mantissa bits, the round bit of any float32 input lies in the
upper 16 bits of its pattern (sign, exponent and the top 7 mantissa bits), so the
correctly rounded code depends only on those 16 bits and on whether the lower 16 bits are
all zero (the sticky bit). A 2**17-entry table indexed by ``hi16 << 1 | sticky`` is built
once per format and overflow mode from the exact float64 encoder, then every conversion is
a few vectorised integer operations and one gather.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from hwgen.formats.minifloat import MinifloatFormat


@cache
def table_f32(fmt: MinifloatFormat, saturate: bool) -> np.ndarray:
    """The ``uint8[2**17]`` code table of ``fmt`` for float32 inputs."""
    hi = np.arange(1 << 16, dtype=np.uint32) << 16
    reps = np.empty(1 << 17, dtype=np.uint32)
    reps[0::2] = hi  # lower half all zero
    reps[1::2] = hi | 1  # lower half non-zero: any such value rounds the same way
    with np.errstate(invalid="ignore"):  # signalling-NaN patterns are among the inputs
        wide = reps.view(np.float32).astype(np.float64)
    table = fmt.encode_exact(wide, saturate=saturate)
    table.setflags(write=False)
    return table


def encode_f32(fmt: MinifloatFormat, x: np.ndarray, saturate: bool) -> np.ndarray:
    """Convert a float32 array with :func:`table_f32` (same result as ``encode_exact``)."""
    table = table_f32(fmt, saturate)
    u16 = np.ascontiguousarray(x).reshape(-1).view(np.uint16)
    if np.little_endian:
        lo, hi = u16[0::2], u16[1::2]
    else:
        hi, lo = u16[0::2], u16[1::2]
    idx = hi.astype(np.intp)
    idx <<= 1
    idx |= lo != 0
    return np.take(table, idx).reshape(x.shape)
