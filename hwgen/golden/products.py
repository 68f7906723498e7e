"""Exact products of two formats, in fixed point.

A product of codes ``a`` and ``w`` is, from the formats' hardware decomposition
(:attr:`hwgen.formats.Format.sig_exp`, ``value = sig * 2**(exp + lsb_exp)``)::

    a * w = (sig_a * sig_w) << (exp_a + exp_w)      in units of 2**(a.lsb_exp + w.lsb_exp)

which is exactly what a minifloat multiplier computes (significand multiply, exponent add).
Non-finite operands have ``sig = 0``; their outcome is reported in the flag word
(:mod:`hwgen.golden.specials`).
"""

from __future__ import annotations

import enum

import numpy as np
import numpy.typing as npt

from hwgen.errors import HwgenError
from hwgen.formats import Format
from hwgen.golden._operands import as_codes, broadcast, resolve_format
from hwgen.golden._terms import Terms, terms_to_ints
from hwgen.golden.lmul import lmul_terms
from hwgen.golden.result import ExactResult
from hwgen.golden.specials import flags_of_products


class Multiplier(enum.StrEnum):
    """Which multiplier a MAC uses: the exact one, or L-Mul (:mod:`hwgen.golden.lmul`)."""

    EXACT = "exact"
    LMUL = "lmul"


def _max_abs(x: np.ndarray) -> int:
    return int(np.max(np.abs(x))) if x.size else 0


def as_multiplier(value: object) -> Multiplier:
    """``value`` as a :class:`Multiplier` (enum member or its string value)."""
    try:
        return Multiplier(value)  # type: ignore[arg-type]  # any value: invalid ones raise below
    except ValueError:
        allowed = ", ".join(m.value for m in Multiplier)
        raise HwgenError(f"multiplier must be one of {allowed}, not {value!r}") from None


def exact_terms(
    a_fmt: Format, a_idx: npt.NDArray[np.intp], w_fmt: Format, w_idx: npt.NDArray[np.intp]
) -> Terms:
    """Exact products of validated codes as :class:`~hwgen.golden._terms.Terms`."""
    a_idx, w_idx = broadcast(a_idx, w_idx)
    a_se, w_se = a_fmt.sig_exp, w_fmt.sig_exp
    return Terms(
        sig=a_se.sig[a_idx] * w_se.sig[w_idx],
        shift=a_se.exp[a_idx] + w_se.exp[w_idx],
        flags=flags_of_products(a_fmt, a_idx, w_fmt, w_idx),
        sig_bound=_max_abs(a_se.sig) * _max_abs(w_se.sig),
        shift_bound=a_se.exp_max + w_se.exp_max,
        lsb_exp=a_fmt.lsb_exp + w_fmt.lsb_exp,
    )


def product_terms(
    a_fmt: Format,
    a_idx: npt.NDArray[np.intp],
    w_fmt: Format,
    w_idx: npt.NDArray[np.intp],
    multiplier: Multiplier,
) -> Terms:
    """Products of validated codes for the chosen multiplier."""
    mult = as_multiplier(multiplier)
    if mult is Multiplier.LMUL:
        return lmul_terms(a_fmt, a_idx, w_fmt, w_idx)
    return exact_terms(a_fmt, a_idx, w_fmt, w_idx)


def product_ints(
    a_format: str | Format,
    a_codes: npt.ArrayLike,
    w_format: str | Format,
    w_codes: npt.ArrayLike,
) -> ExactResult:
    """Exact product of each code pair (broadcast), as fixed-point integers plus flags.

    Parameters
    ----------
    a_format, w_format
        Registry names or format objects.
    a_codes, w_codes
        Raw codes, broadcast against each other.

    Returns
    -------
    ExactResult
        ``ints`` in units of ``2**(a.lsb_exp + w.lsb_exp)`` (int64 when every product of
        the two formats fits in 62 bits, else Python ints; ``fp8_e5m2`` squared needs 65),
        0 where the product is not finite; ``flags`` the special-value word per product.
    """
    a_fmt = resolve_format(a_format, role="a_format")
    w_fmt = resolve_format(w_format, role="w_format")
    t = exact_terms(
        a_fmt,
        as_codes(a_fmt, a_codes, role="a_codes"),
        w_fmt,
        as_codes(w_fmt, w_codes, role="w_codes"),
    )
    return ExactResult(ints=terms_to_ints(t), flags=t.flags, lsb_exp=t.lsb_exp)
