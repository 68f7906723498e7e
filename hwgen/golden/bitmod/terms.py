"""The weight term encoder (vectorised): weight codes -> bit-serial terms.

Every weight becomes ``cycles`` terms, one per cycle; term ``t`` is
``(-1)**sign * man * 2**exp`` (``exp`` in 0..3, ``man`` in {0, 1}) and counts
``2**sigma[t]`` times, where ``sigma`` depends only on the datatype and the step (so all
``dot`` lanes of a cycle share it):

* INT8 / INT6 / INT4 / INT3: radix-4 Booth digits ``d_t = -2 b[2t+1] + b[2t] + b[2t-1]``
  (``b[-1] = 0``; INT3 is sign-extended to 4 bits) of the two's complement code;
  ``sigma_t = 2 t``; ``man = d != 0``, ``exp = |d| == 2``, ``sign = d < 0``.
* FP4 / FP3 (BitMoD code layout: sign bit, magnitude index): the magnitude in code units
  (FP4 {0, 1, 2, 3, 4, 6, 8, 12}, FP3 {0, 1, 2, 4}; the ``-0`` code takes the
  special-value register entry picked by the group's selector, with its own sign) is a
  5-bit integer (BitMoD's 1.4.1 fixed point). A leading-one detector over bits 4..1 gives
  the high term (position ``p``: ``exp = p - 1``, ``sigma = 1``); a second one over bits
  3..0 of the rest gives the low term (``exp = q``, ``sigma = 0``). Both carry the weight's
  sign. Every magnitude < 32 with at most two one-bits is exact (so 1 = low term only,
  16 = high term only).

BitMoD (HPCA 2025, ``shared/reference/bitmod.md``) names the representation; the exact
encodings above are hwgen's design (``docs/bitmod.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.golden.bitmod.config import (
    FP_MAGNITUDES,
    WeightType,
    check_special_value,
)

__all__ = ["Terms", "check_codes", "check_specials", "encode_terms", "weight_values"]


@dataclass(frozen=True)
class Terms:
    """Terms of an array of weights of one datatype; step axis last.

    Attributes
    ----------
    sign, exp, man
        ``uint8`` arrays ``(..., cycles)``.
    sigma
        Significance of each step (shared by every weight of the datatype).
    zero, neg
        Per weight (``(...)``): the weight is 0 / negative (drive the special-value flags).
    """

    sign: np.ndarray
    exp: np.ndarray
    man: np.ndarray
    sigma: tuple[int, ...]
    zero: np.ndarray
    neg: np.ndarray

    def values(self) -> np.ndarray:
        """Each weight rebuilt from its terms (``int64``): ``sum_t term_t * 2**sigma_t``."""
        sig = np.asarray(self.sigma, dtype=np.int64)
        t = self.man.astype(np.int64) << (self.exp.astype(np.int64) + sig)
        return np.where(self.sign.astype(bool), -t, t).sum(axis=-1)


def check_specials(specials: object) -> tuple[int, int, int, int]:
    """Validate a 4-entry special-value register content (code units)."""
    if not isinstance(specials, tuple | list) or len(specials) != 4:
        raise HwgenError(f"specials must be 4 integers (one per selector), not {specials!r}")
    return tuple(  # type: ignore[return-value]
        check_special_value(v, f"specials[{i}]") for i, v in enumerate(specials)
    )


def check_codes(codes: npt.ArrayLike, wt: WeightType, what: str = "weight codes") -> np.ndarray:
    """Codes as ``int64``, each in ``[0, 2**wt.bits)``."""
    c = np.asarray(codes)
    if not np.issubdtype(c.dtype, np.integer):
        raise HwgenError(f"{what} must be integers, not dtype {c.dtype}")
    c = c.astype(np.int64)
    hi = (1 << wt.bits) - 1
    if c.size and (c.min() < 0 or c.max() > hi):
        raise HwgenError(f"{what} of {wt.value} must be in 0..{hi}")
    return c


def _check_selector(selector: npt.ArrayLike) -> np.ndarray:
    s = np.asarray(selector)
    if not np.issubdtype(s.dtype, np.integer):
        raise HwgenError(f"selectors must be integers, not dtype {s.dtype}")
    s = s.astype(np.int64)
    if s.size and (s.min() < 0 or s.max() > 3):
        bad = int(s.min()) if s.min() < 0 else int(s.max())
        raise HwgenError(f"selector {bad} is out of range (allowed 0..3)")
    return s


def _booth(codes: np.ndarray, wt: WeightType) -> tuple[np.ndarray, ...]:
    n = wt.cycles
    width = 2 * n
    bits = wt.bits
    # Sign-extend the code to the Booth width (INT3 -> 4 bits), as an unsigned pattern.
    signed = np.where(codes >= 1 << (bits - 1), codes - (1 << bits), codes)
    pattern = signed & ((1 << width) - 1)
    ext = pattern << 1  # b[-1] = 0 sits at bit 0
    shifts = 2 * np.arange(n, dtype=np.int64)
    tri = (ext[..., None] >> shifts) & 7  # (b[2t+1], b[2t], b[2t-1])
    digit = -2 * ((tri >> 2) & 1) + ((tri >> 1) & 1) + (tri & 1)
    sign = (digit < 0).astype(np.uint8)
    exp = (np.abs(digit) == 2).astype(np.uint8)
    man = (digit != 0).astype(np.uint8)
    return sign, exp, man, signed == 0, signed < 0


def _fp_magnitude(
    codes: np.ndarray, wt: WeightType, selector: np.ndarray, specials: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """(negative, 5-bit magnitude) of FP codes after special-value substitution."""
    half = 1 << (wt.bits - 1)
    neg_code = codes >= half
    idx = codes & (half - 1)
    table = np.asarray(FP_MAGNITUDES[wt], dtype=np.int64)
    mag = table[idx]
    sv = np.asarray(specials, dtype=np.int64)[np.broadcast_to(selector, codes.shape)]
    special = neg_code & (idx == 0)
    mag = np.where(special, np.abs(sv), mag)
    neg = np.where(special, sv < 0, neg_code)
    return neg, mag


def _bitlen(x: np.ndarray) -> np.ndarray:
    """Bit length of non-negative int64 values below 2**8."""
    out = np.zeros(x.shape, dtype=np.int64)
    for b in range(8):
        out = np.where(x >> b != 0, b + 1, out)
    return out


def _fp_terms(neg: np.ndarray, mag: np.ndarray) -> tuple[np.ndarray, ...]:
    high_bits = (mag >> 1) & 0xF
    p = _bitlen(high_bits)  # position of the leading one among bits 4..1 (0: none)
    h_man = high_bits != 0
    rest = np.where(h_man, mag - (np.int64(1) << np.maximum(p, 0)), mag) & 0xF
    q = _bitlen(rest)  # 1 + position of the leading one among bits 3..0
    l_man = rest != 0
    man = np.stack([h_man, l_man], axis=-1).astype(np.uint8)
    exp = np.stack([np.where(h_man, p - 1, 0), np.where(l_man, q - 1, 0)], axis=-1)
    sign = np.broadcast_to(neg[..., None], man.shape) & (man != 0)
    return sign.astype(np.uint8), exp.astype(np.uint8), man, mag == 0, neg & (mag != 0)


def encode_terms(
    codes: npt.ArrayLike,
    wt: WeightType | str,
    *,
    selector: npt.ArrayLike = 0,
    specials: tuple[int, int, int, int] = (10, -10, 16, -16),
) -> Terms:
    """Terms of weight ``codes`` of datatype ``wt`` (see the module docstring).

    Parameters
    ----------
    codes
        Raw codes, each in ``[0, 2**wt.bits)`` (two's complement for INT, BitMoD's
        sign + magnitude-index layout for FP).
    wt
        The datatype.
    selector
        Special-value register entry per weight (broadcast against ``codes``), 0..3; only
        read for FP ``-0`` codes.
    specials
        The special-value register (code units, see
        :func:`~hwgen.golden.bitmod.config.check_special_value`).

    Returns
    -------
    Terms
        Zero terms have ``sign = exp = 0``.
    """
    w = WeightType(wt)
    c = check_codes(codes, w)
    if w.is_float:
        sel = _check_selector(selector)
        neg, mag = _fp_magnitude(c, w, sel, check_specials(specials))
        sign, exp, man, zero, negw = _fp_terms(neg, mag)
    else:
        sign, exp, man, zero, negw = _booth(c, w)
    return Terms(sign=sign, exp=exp, man=man, sigma=w.sigmas, zero=zero, neg=negw)


def weight_values(
    codes: npt.ArrayLike,
    wt: WeightType | str,
    *,
    selector: npt.ArrayLike = 0,
    specials: tuple[int, int, int, int] = (10, -10, 16, -16),
) -> np.ndarray:
    """Value of each weight code in code units (``int64``), read from the formats.

    INT: the two's complement value; FP: the BitMoD table value, the ``-0`` code taking
    ``specials[selector]``. Independent of the term encoding (tests compare the two).
    """
    w = WeightType(wt)
    c = check_codes(codes, w)
    if not w.is_float:
        return np.where(c >= 1 << (w.bits - 1), c - (1 << w.bits), c)
    sel = np.broadcast_to(_check_selector(selector), c.shape)
    neg, mag = _fp_magnitude(c, w, sel, check_specials(specials))
    return np.where(neg, -mag, mag)
