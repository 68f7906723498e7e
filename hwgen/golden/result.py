"""The exact result type shared by products, dot products and GEMM."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwgen.golden.rounding import to_float
from hwgen.golden.specials import Flag


@dataclass(frozen=True)
class ExactResult:
    """Exact fixed-point numbers with special-value flags.

    Attributes
    ----------
    ints
        Signed integers: the finite part of each entry is ``ints * 2**lsb_exp``. ``int64``
        when every value the formats can produce fits in 62 bits (decided from the formats
        and the number of terms, never from the data), otherwise an object array of Python
        ints. Non-finite products contribute 0.
    flags
        ``uint8`` flag words (:class:`~hwgen.golden.specials.Flag`), same shape as ``ints``.
    lsb_exp
        Weight of one integer unit, ``a_format.lsb_exp + w_format.lsb_exp``.
    """

    ints: np.ndarray
    flags: np.ndarray
    lsb_exp: int

    def to_float(self) -> np.ndarray:
        """Finite part as float64 (exact when representable, else round to nearest even)."""
        return to_float(self.ints, self.lsb_exp)

    def values(self) -> np.ndarray:
        """Float64 value of each entry: NaN / +-inf as the flags say, else :meth:`to_float`."""
        v = self.to_float()
        v = np.where(self.flags & Flag.PINF, np.inf, v)
        v = np.where(self.flags & Flag.NINF, -np.inf, v)
        return np.where(self.flags & Flag.NAN, np.nan, v)
