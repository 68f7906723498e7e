"""L-Mul, the approximate floating-point multiplier of Luo & Sun, "Addition is All You Need
for Energy-efficient Language Models" (arXiv 2410.00907).

For normal operands ``x = (1 + xm) 2**xe`` and ``y = (1 + ym) 2**ye`` the exact product is
``(1 + xm + ym + xm*ym) 2**(xe+ye)``; L-Mul replaces the mantissa product by a constant::

    L-Mul(x, y) = (1 + xm + ym + 2**-l(m)) * 2**(xe + ye),  sign = sign(x) XOR sign(y)
    l(m) = m if m <= 3;  3 if m == 4;  4 if m > 4        (m = mantissa bits)

Decisions (each is what a small hardware unit would do):

* Different mantissa widths: ``l`` uses the smaller of the two ``man_bits`` (the constant
  stands in for ``xm*ym``, whose useful precision is limited by the coarser operand).
* Zero and subnormal operands: an operand whose exponent field is 0 (zero or subnormal) is
  flushed to zero, so the product is 0 (FTZ). The zero detector the multiplier needs anyway
  is the exponent-field-zero test; normalising subnormals would cost a leading-zero counter
  and shifter, and would put products below the exact product's LSB.
* Special values: the flag word is the same as for the exact multiplier
  (:mod:`hwgen.golden.specials`), computed from the true operand values; FTZ only affects
  the finite product.

Fixed point: with ``M = max(ma, mw)``, the product is the integer
``S = 2**M + Fa*2**(M-ma) + Fw*2**(M-mw) + 2**(M-l)`` (``Fa``, ``Fw`` the mantissa fields,
``S < 2**(M+2)``) shifted left by ``ea + ew + ma + mw - M`` (``ea``, ``ew`` the
``sig_exp.exp`` offsets), in units of ``2**(a.lsb_exp + w.lsb_exp)``: the same LSB as the
exact product, so one accumulator serves both multipliers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from hwgen._validate import check_int
from hwgen.errors import HwgenError
from hwgen.formats import Format, FormatKind
from hwgen.golden._operands import as_codes, broadcast, resolve_format
from hwgen.golden._terms import Terms, terms_to_ints
from hwgen.golden.result import ExactResult
from hwgen.golden.specials import flags_of_products


def lmul_offset_exponent(man_bits: int) -> int:
    """``l(m)`` of L-Mul: the correction term is ``2**-l(m)``.

    ``m`` for ``m <= 3``, 3 for ``m == 4``, 4 for ``m > 4`` (arXiv 2410.00907, eq. for
    ``l(m)``). ``man_bits`` must be >= 0.
    """
    check_int("man_bits", man_bits, 0)
    if man_bits <= 3:
        return man_bits
    return 3 if man_bits == 4 else 4


def lmul_man_bits(fmt: Format, role: str) -> int:
    """Mantissa width of an L-Mul operand (HwgenError for a format that is not a float).

    The one owner of this rule; the hardware multiplier asks it too.
    """
    man_bits = getattr(fmt, "man_bits", None) if fmt.kind is FormatKind.FLOAT else None
    if man_bits is None:
        raise HwgenError(
            f"L-Mul needs float formats: {role} {fmt.name} is {fmt.kind.value}, not float"
        )
    return int(man_bits)


@dataclass(frozen=True, slots=True)
class LMulFrame:
    """The fixed-point frame of L-Mul products of two formats (module docstring).

    Attributes
    ----------
    ma, mw
        Mantissa widths of the operands.
    big_m
        ``M = max(ma, mw)``: fraction bits of the significand ``S``.
    correction
        ``2**(M - l(min(ma, mw)))``, the constant that replaces the mantissa product.
    sig_bound
        Largest ``S`` (all-ones mantissas).
    shift_offset
        ``ma + mw - M = min(ma, mw)``: constant left shift into the exact product's frame.
    """

    ma: int
    mw: int
    big_m: int
    correction: int
    sig_bound: int
    shift_offset: int


def lmul_frame(a_fmt: Format, w_fmt: Format) -> LMulFrame:
    """The :class:`LMulFrame` of ``a_fmt x w_fmt`` (both must be float formats)."""
    ma, mw = lmul_man_bits(a_fmt, "a_format"), lmul_man_bits(w_fmt, "w_format")
    big_m = max(ma, mw)
    correction = 1 << (big_m - lmul_offset_exponent(min(ma, mw)))
    bound = (
        (1 << big_m) + (((1 << ma) - 1) << (big_m - ma)) + (((1 << mw) - 1) << (big_m - mw))
    ) + correction
    return LMulFrame(ma, mw, big_m, correction, bound, ma + mw - big_m)


@cache
def _operand_tables(fmt: Format, man_bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per code: flushed-to-zero mask (zero, subnormal or special), mantissa field, negative."""
    se = fmt.sig_exp
    mag = np.abs(se.sig)
    normal = fmt.finite_mask & (mag >= (1 << man_bits))
    frac = np.where(normal, mag - (1 << man_bits), 0)
    return ~normal, frac, se.sig < 0


def lmul_terms(
    a_fmt: Format, a_idx: npt.NDArray[np.intp], w_fmt: Format, w_idx: npt.NDArray[np.intp]
) -> Terms:
    """L-Mul products of validated codes as :class:`~hwgen.golden._terms.Terms`."""
    frame = lmul_frame(a_fmt, w_fmt)
    ma, mw, big_m, offset = frame.ma, frame.mw, frame.big_m, frame.correction
    a_idx, w_idx = broadcast(a_idx, w_idx)
    a_ftz, a_frac, a_neg = _operand_tables(a_fmt, ma)
    w_ftz, w_frac, w_neg = _operand_tables(w_fmt, mw)
    mag = (1 << big_m) + (a_frac[a_idx] << (big_m - ma)) + (w_frac[w_idx] << (big_m - mw)) + offset
    zero = a_ftz[a_idx] | w_ftz[w_idx]
    sig = np.where(zero, 0, np.where(a_neg[a_idx] ^ w_neg[w_idx], -mag, mag))
    base = frame.shift_offset
    a_exp, w_exp = a_fmt.sig_exp.exp, w_fmt.sig_exp.exp
    shift = np.where(zero, 0, a_exp[a_idx] + w_exp[w_idx] + base)
    return Terms(
        sig=sig.astype(np.int64),
        shift=shift.astype(np.int64),
        flags=flags_of_products(a_fmt, a_idx, w_fmt, w_idx),
        sig_bound=frame.sig_bound,
        shift_bound=a_fmt.sig_exp.exp_max + w_fmt.sig_exp.exp_max + base,
        lsb_exp=a_fmt.lsb_exp + w_fmt.lsb_exp,
    )


def lmul_product_ints(
    a_format: str | Format,
    a_codes: npt.ArrayLike,
    w_format: str | Format,
    w_codes: npt.ArrayLike,
) -> ExactResult:
    """L-Mul products as exact fixed-point integers (see the module docstring).

    Parameters
    ----------
    a_format, w_format
        Float formats (registry names or objects); other kinds raise :class:`HwgenError`.
    a_codes, w_codes
        Raw codes, broadcast against each other.

    Returns
    -------
    ExactResult
        ``ints`` in units of ``2**(a.lsb_exp + w.lsb_exp)``, the special flags per product.
    """
    a_fmt = resolve_format(a_format, role="a_format")
    w_fmt = resolve_format(w_format, role="w_format")
    t = lmul_terms(
        a_fmt,
        as_codes(a_fmt, a_codes, role="a_codes"),
        w_fmt,
        as_codes(w_fmt, w_codes, role="w_codes"),
    )
    return ExactResult(ints=terms_to_ints(t), flags=t.flags, lsb_exp=t.lsb_exp)
