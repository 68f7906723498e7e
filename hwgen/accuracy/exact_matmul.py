"""Exact integer matrix products on the float64 BLAS.

numpy's int64 ``@`` does not use BLAS and is about 200x slower than float64 ``@``. A
float64 product of integer matrices is *exact* whenever every partial sum is an integer
below ``2**53``: any summation order then adds integers without rounding. With ``k`` terms
of magnitude at most ``|x| |y|`` that holds when ``k * max|x| * max|y| <= 2**53``.

Wider operands are cut into limbs ``X = sum_i X_i 2**(i b)`` (low limbs unsigned in
``[0, 2**b)``, the top limb signed, by arithmetic shifts) so that every limb product
qualifies; the limb products are combined with shifts in int64 when the result's bound
allows, otherwise in exact Python integers. All-zero limbs are skipped, so data that uses
only a few binades of a wide format costs only a few products.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FLOAT_EXACT_BITS", "exact_matmul", "magnitude_bound"]

#: float64 holds every integer of magnitude up to ``2**53`` exactly.
FLOAT_EXACT_BITS = 53
# Results are int64 when this bounds their magnitude (headroom for the limb combination).
_INT64_SAFE = 1 << 62


def magnitude_bound(x: np.ndarray) -> int:
    """``max |x|`` of an int64 array as a Python int (0 when empty)."""
    if x.size == 0:
        return 0
    return max(int(x.max()), -int(x.min()))


def _limbs(x: np.ndarray, bound: int, width: int) -> list[tuple[np.ndarray, int]]:
    """``x`` as ``[(limb, shift)]`` with ``x = sum limb << shift`` and ``|limb| < 2**width``.

    Low limbs are ``(x >> shift) & (2**width - 1)`` (unsigned), the top limb
    ``x >> shift`` (signed, arithmetic shift). All-zero limbs are left out.
    """
    top = bound.bit_length()
    if top <= width:
        return [(x, 0)] if bound else []
    out = []
    mask = np.int64((1 << width) - 1)
    shift = 0
    while top - shift > width:
        limb = (x >> np.int64(shift)) & mask
        if limb.any():
            out.append((limb, shift))
        shift += width
    limb = x >> np.int64(shift)
    if limb.any():
        out.append((limb, shift))
    return out


def _limb_widths(nx: int, ny: int, budget: int) -> tuple[int, int]:
    """Limb widths with ``wx + wy <= budget`` and the fewest limb products."""
    best: tuple[int, int, int] | None = None
    for wx in range(1, min(nx, budget - 1) + 1):
        wy = min(ny, budget - wx)
        count = -(-nx // wx) * -(-ny // wy)
        if best is None or count < best[0]:
            best = (count, wx, wy)
    if best is None:  # pragma: no cover - needs K >= 2**51
        raise ValueError(f"no exact float64 product for {nx}- and {ny}-bit operands")
    return best[1], best[2]


def exact_matmul(
    x: np.ndarray, y: np.ndarray, *, x_bound: int | None = None, y_bound: int | None = None
) -> np.ndarray:
    """Exact ``x @ y`` of int64 matrices, computed with float64 BLAS products.

    Parameters
    ----------
    x, y
        int64 arrays of shapes ``(M, K)`` and ``(K, N)``.
    x_bound, y_bound
        Upper bounds of ``max |x|`` and ``max |y|`` (computed when ``None``).

    Returns
    -------
    numpy.ndarray
        ``(M, N)`` exact sums: int64 when ``K * x_bound * y_bound < 2**62``, else an
        object array of Python ints.
    """
    k = x.shape[1]
    bx = magnitude_bound(x) if x_bound is None else x_bound
    by = magnitude_bound(y) if y_bound is None else y_bound
    shape = (x.shape[0], y.shape[1])
    total = max(k, 1) * bx * by
    if total == 0:
        return np.zeros(shape, dtype=np.int64)
    budget = FLOAT_EXACT_BITS - max(k - 1, 0).bit_length()  # bits for |x limb| |y limb|
    if total <= 1 << FLOAT_EXACT_BITS:
        return (x.astype(np.float64) @ y.astype(np.float64)).astype(np.int64)
    wx, wy = _limb_widths(bx.bit_length(), by.bit_length(), budget)
    x_limbs = _limbs(x, bx, wx)
    y_limbs = [(limb.astype(np.float64), s) for limb, s in _limbs(y, by, wy)]
    wide = total * 4 >= _INT64_SAFE  # limb sums may reach ~4x the bound
    out: np.ndarray = np.zeros(shape, dtype=object if wide else np.int64)
    for xl, sx in x_limbs:
        xf = xl.astype(np.float64)
        for yf, sy in y_limbs:
            part = (xf @ yf).astype(np.int64)
            if wide:
                out = out + (part.astype(object) << (sx + sy))
            else:
                out += part << np.int64(sx + sy)
    if wide and total < _INT64_SAFE:
        return out.astype(np.int64)
    return out
