"""Products as ``sig << shift`` terms and their exact sums.

Every multiplier the golden model knows produces, per element, a small signed significand
``sig`` and a non-negative ``shift`` such that the product equals ``sig << shift`` in units
of ``2**lsb_exp``. Keeping the two apart is what makes wide products cheap: an
``fp8_e5m2`` product needs ~64 bits as one integer, but its significand fits in 7 signed
bits and its shift is at most 60. Sums are formed per *shift chunk*: terms whose shift
falls in the same window of ``g`` values are added as ``sig << (shift - window start)`` in
int64, with ``g`` chosen so that no chunk sum can overflow; the few chunk sums are then
combined exactly with Python ints. One chunk suffices whenever the whole sum fits in int64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: Results are int64 when every possible magnitude is below this bound, else Python ints.
INT64_SAFE = 1 << 62
#: Largest int64.
INT64_MAX = (1 << 63) - 1


@dataclass(frozen=True)
class Terms:
    """Products of one multiplier: ``product = sig << shift`` (units ``2**lsb_exp``).

    ``sig_bound`` / ``shift_bound`` bound ``|sig|`` / ``shift`` over *every* code pair of the
    formats (not just the data), so dtype choices are deterministic.
    """

    sig: npt.NDArray[np.int64]
    shift: npt.NDArray[np.int64]
    flags: npt.NDArray[np.uint8]
    sig_bound: int
    shift_bound: int
    lsb_exp: int

    @property
    def product_bound(self) -> int:
        """Bound on ``|product|`` in LSB units."""
        return self.sig_bound << self.shift_bound


def terms_to_ints(t: Terms) -> np.ndarray:
    """Each product as one integer: int64 when :attr:`Terms.product_bound` < 2**62."""
    if t.product_bound < INT64_SAFE:
        return np.asarray(t.sig << t.shift, dtype=np.int64)
    return np.asarray(t.sig, dtype=np.int64).astype(object) << t.shift.astype(object)


def sum_terms(t: Terms, *, axis: int) -> np.ndarray:
    """Exact sum of the products along ``axis`` (int64 if any such sum fits 62 bits)."""
    sig = np.moveaxis(t.sig, axis, -1)
    shift = np.moveaxis(t.shift, axis, -1)
    k = sig.shape[-1]
    per = max(k, 1) * t.sig_bound  # bound on a chunk sum before its shifts
    if per == 0:
        return np.zeros(sig.shape[:-1], dtype=np.int64)
    if per > INT64_MAX:
        # Absurdly many terms: even unshifted significands could overflow; stay exact anyway.
        wide = sig.astype(object) << shift.astype(object)
        return np.asarray(wide.sum(axis=-1), dtype=object)
    # Largest window g with per * 2**(g - 1) <= int64 max.
    g = (INT64_MAX // per).bit_length()
    n_chunks = -(-(t.shift_bound + 1) // g)
    if n_chunks == 1:
        total = np.asarray((sig << shift).sum(axis=-1), dtype=np.int64)
        if (per << t.shift_bound) < INT64_SAFE:
            return total
        return total.astype(object)
    chunk = shift // g
    out = np.zeros(sig.shape[:-1], dtype=object)
    for c in range(n_chunks):
        local = np.clip(shift - c * g, 0, g - 1)
        part = np.where(chunk == c, sig << local, 0).sum(axis=-1)
        out = out + (np.asarray(part, dtype=np.int64).astype(object) << (c * g))
    return np.asarray(out, dtype=object)
