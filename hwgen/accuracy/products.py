"""Products of a multiplier as sums of matrix products of per-code integer tables.

A multiplier maps an activation code ``a`` and a weight code ``w`` to a fixed-point
product. For GEMMs it pays to write that product *bilinearly*::

    p(a, w) = 2**shift * sum_(i, j, c) c * X_i[a] * Y_j[w] * 2**(ea[a] + ew[w])

with small integer tables ``X_i``, ``Y_j`` and per-code exponents ``ea``, ``ew`` (absolute:
the code's value is ``X_0[a] * 2**ea[a]`` for the exact multiplier). A GEMM's sums are then
a few exact integer matrix products (:mod:`hwgen.accuracy.exact_matmul`) instead of one
product per ``(m, k, n)``.

* Exact multiplier: one pair, ``X_0 = sig_a``, ``Y_0 = sig_w`` (the formats' hardware
  decomposition :attr:`hwgen.formats.Format.sig_exp`), ``ea = exp + lsb_exp``.
* L-Mul (:mod:`hwgen.golden.lmul`, arXiv 2410.00907): the golden product is
  ``s_a s_w (2**M + F_a + F_w + 2**(M - l)) 2**(ea + ew + ma + mw - M)`` for normal
  operands (0 if either is zero, subnormal or special), ``F`` the mantissa field shifted to
  ``M = max(ma, mw)`` bits. With ``X_0 = s_a [normal]``, ``X_1 = X_0 F_a`` (and ``Y``
  likewise) that is ``(2**M + 2**(M-l)) X_0 Y_0 + X_1 Y_0 + X_0 Y_1`` times
  ``2**(ma + mw - M)``: three matrix products.

Per-group mixtures (BitMoD weights) index their tables by ``variant * 2**bits + code``:
every variant's values in one table.

The tests check both decompositions against :func:`hwgen.golden.product_ints` and
:func:`hwgen.golden.lmul_product_ints` on every code pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from hwgen.formats import Format
from hwgen.formats.table import MixtureFormat
from hwgen.golden import Multiplier, lmul_offset_exponent

__all__ = ["Bilinear", "CodeTables", "bilinear", "format_lsb_exp"]


@dataclass(frozen=True, eq=False)
class CodeTables:
    """Per-code integer tables of one operand.

    Attributes
    ----------
    terms
        int64 tables, one per term, indexed by code (mixtures: ``variant * 2**bits + code``).
    exp
        int64 absolute exponent of every code's terms.
    """

    terms: tuple[np.ndarray, ...]
    exp: np.ndarray


@dataclass(frozen=True, eq=False)
class Bilinear:
    """A multiplier written as ``2**shift * sum c * X_i[a] * Y_j[w]`` (module docstring).

    Attributes
    ----------
    a, w
        Tables of the activation and the weight operand.
    pairs
        ``(i, j, c)``: term ``i`` of ``a`` times term ``j`` of ``w`` with coefficient ``c``.
    shift
        Extra power of two of every product.
    """

    a: CodeTables
    w: CodeTables
    pairs: tuple[tuple[int, int, int], ...]
    shift: int


def _variants(fmt: Format | MixtureFormat) -> tuple[Format, ...]:
    return fmt.variants if isinstance(fmt, MixtureFormat) else (fmt,)


def format_lsb_exp(fmt: Format | MixtureFormat) -> int:
    """Weight of the LSB of a format (the finest variant's for a mixture)."""
    return min(v.lsb_exp for v in _variants(fmt))


def _exact_tables(fmt: Format | MixtureFormat) -> CodeTables:
    vs = _variants(fmt)
    sig = np.concatenate([v.sig_exp.sig for v in vs]).astype(np.int64)
    exp = np.concatenate([v.sig_exp.exp + v.lsb_exp for v in vs]).astype(np.int64)
    return CodeTables(terms=(sig,), exp=exp)


def _lmul_tables(fmt: Format, man_bits: int, big_m: int) -> CodeTables:
    """``X_0 = sign * [normal]``, ``X_1 = X_0 * (mantissa field << (M - m))``."""
    se = fmt.sig_exp
    mag = np.abs(se.sig)
    normal = fmt.finite_mask & (mag >= (1 << man_bits))
    sign = np.where(se.sig < 0, -1, 1)
    x0 = np.where(normal, sign, 0).astype(np.int64)
    frac = np.where(normal, mag - (1 << man_bits), 0) << (big_m - man_bits)
    return CodeTables(terms=(x0, (x0 * frac).astype(np.int64)), exp=se.exp + fmt.lsb_exp)


@cache
def bilinear(multiplier: Multiplier, a_fmt: Format, w_fmt: Format | MixtureFormat) -> Bilinear:
    """The bilinear form of ``multiplier`` for these operand formats.

    Parameters
    ----------
    multiplier
        :class:`~hwgen.golden.Multiplier`; ``LMUL`` needs two float formats (validated by
        :class:`~hwgen.accuracy.config.GemmDesign`).
    a_fmt, w_fmt
        Activation format; weight format or mixture.
    """
    if multiplier is Multiplier.EXACT:
        return Bilinear(a=_exact_tables(a_fmt), w=_exact_tables(w_fmt), pairs=((0, 0, 1),), shift=0)
    assert isinstance(w_fmt, Format)
    ma, mw = int(a_fmt.man_bits), int(w_fmt.man_bits)  # type: ignore[attr-defined]
    big_m = max(ma, mw)
    lead = (1 << big_m) + (1 << (big_m - lmul_offset_exponent(min(ma, mw))))
    return Bilinear(
        a=_lmul_tables(a_fmt, ma, big_m),
        w=_lmul_tables(w_fmt, mw, big_m),
        pairs=((0, 0, lead), (1, 0, 1), (0, 1, 1)),
        shift=ma + mw - big_m,
    )
