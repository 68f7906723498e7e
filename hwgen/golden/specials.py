"""Special values (NaN, +-inf) of products and sums, as the hardware's sticky flag bits.

The exact integer datapath only carries finite values; a special operand never reaches the
accumulator. Instead each product yields a 3-bit flag word (docs/hardware.md):

* bit 0 ``NAN``: a NaN operand, or inf x 0;
* bit 1 ``PINF``: the product is +inf (inf x finite nonzero, or inf x inf, sign by XOR);
* bit 2 ``NINF``: the product is -inf.

A sum ORs the flags of its terms, and when both ``PINF`` and ``NINF`` were seen (+inf + -inf)
it also sets ``NAN``. ``PINF``/``NINF`` stay set in that case: they record what was seen, so
a reader can still tell "NaN from inf - inf" apart; the value of the sum is NaN whenever
``NAN`` is set, else +-inf when one of the inf bits is set, else the finite accumulator.
"""

from __future__ import annotations

import enum
from functools import cache

import numpy as np
import numpy.typing as npt

from hwgen.formats import Format
from hwgen.golden._operands import as_codes, resolve_format


class Flag(enum.IntFlag):
    """Bit positions of the special-value flag word (matches the manifest's ``flags``)."""

    NAN = 1
    PINF = 2
    NINF = 4


@cache
def _classes(fmt: Format) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-code tables: is NaN, is inf, is zero, is negative (read from ``values()``)."""
    v = fmt.values()
    return np.isnan(v), np.isinf(v), v == 0, np.signbit(v) & ~np.isnan(v)


FLAG_BITS: dict[str, int] = {
    "nan": Flag.NAN.bit_length() - 1,
    "pinf": Flag.PINF.bit_length() - 1,
    "ninf": Flag.NINF.bit_length() - 1,
}
"""Bit position of each flag in the flag word (the manifest's ``flags`` object)."""
FLAG_WIDTH = len(FLAG_BITS)
"""Width of the flag word: the ``flags`` port of a MAC, per column of an array's ``out_flags``."""


def flags_of_products(
    a_fmt: Format, a_idx: npt.NDArray[np.intp], w_fmt: Format, w_idx: npt.NDArray[np.intp]
) -> npt.NDArray[np.uint8]:
    """Flag word of each product for already validated, broadcast code arrays."""
    shape = np.broadcast_shapes(a_idx.shape, w_idx.shape)
    if not (a_fmt.has_specials or w_fmt.has_specials):
        return np.zeros(shape, dtype=np.uint8)
    a_nan, a_inf, a_zero, a_neg = (t[a_idx] for t in _classes(a_fmt))
    w_nan, w_inf, w_zero, w_neg = (t[w_idx] for t in _classes(w_fmt))
    nan = a_nan | w_nan | (a_inf & w_zero) | (a_zero & w_inf)
    inf = (a_inf | w_inf) & ~nan
    neg = a_neg ^ w_neg
    out = nan.astype(np.uint8) * np.uint8(Flag.NAN)
    out |= (inf & ~neg).astype(np.uint8) * np.uint8(Flag.PINF)
    out |= (inf & neg).astype(np.uint8) * np.uint8(Flag.NINF)
    return np.broadcast_to(out, shape).copy()


def product_flags(
    a_format: str | Format,
    a_codes: npt.ArrayLike,
    w_format: str | Format,
    w_codes: npt.ArrayLike,
) -> npt.NDArray[np.uint8]:
    """Special-value flag word of each product ``a * w`` (broadcast), see :class:`Flag`.

    Parameters
    ----------
    a_format, w_format
        Registry names or format objects.
    a_codes, w_codes
        Raw codes, broadcast against each other.

    Returns
    -------
    numpy.ndarray
        ``uint8`` flag words; 0 for a finite product.
    """
    a_fmt = resolve_format(a_format, role="a_format")
    w_fmt = resolve_format(w_format, role="w_format")
    a_idx = as_codes(a_fmt, a_codes, role="a_codes")
    w_idx = as_codes(w_fmt, w_codes, role="w_codes")
    return flags_of_products(a_fmt, a_idx, w_fmt, w_idx)


def settle(flags: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Add ``NAN`` wherever both ``PINF`` and ``NINF`` are set (+inf + -inf)."""
    both = (flags & Flag.PINF).astype(bool) & (flags & Flag.NINF).astype(bool)
    return flags | (both.astype(np.uint8) * np.uint8(Flag.NAN))


def reduce_flags(flags: npt.ArrayLike, *, axis: int = -1) -> npt.NDArray[np.uint8]:
    """Flag word of a sum: OR of the terms' flags along ``axis``, then :func:`settle`."""
    f = np.asarray(flags, dtype=np.uint8)
    return settle(np.bitwise_or.reduce(f, axis=axis).astype(np.uint8))
