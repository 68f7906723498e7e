"""Accumulator sizing: the minimal exact two's complement width for a dot product.

A MAC that adds up to ``max_terms`` products of finite values never loses a bit when its
accumulator holds every sum in ``[n * p_min, n * p_max]`` (and 0), where ``p_min`` /
``p_max`` are the extreme products in units of ``2**(a.lsb_exp + w.lsb_exp)``. The extreme
products come from the extreme operands: each multiplier's magnitude grows monotonically
with each operand's magnitude, so the four products of {min, max} x {min, max} bound all
others. The width is computed from these exact integers, not from a formula, so it is tight
for every format (including narrow ints, OCP ``fn`` formats and table formats).

For comparison :func:`published_accumulator_bits` implements the closed-form widths of
Aggarwal et al., "Shedding the Bits: Pushing the Boundaries of Quantization with
Minifloats on FPGAs" (FPL 2024).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from hwgen.errors import HwgenError
from hwgen.formats import Format, FormatKind, signed_width
from hwgen.golden._operands import check_int, resolve_format
from hwgen.golden._terms import terms_to_ints
from hwgen.golden.products import Multiplier, as_multiplier, product_terms


@dataclass(frozen=True)
class AccumulatorSpec:
    """A two's complement fixed-point accumulator: value = signed ``bits``-bit int x 2**lsb_exp.

    Parameters
    ----------
    bits
        Width in bits, >= 1.
    lsb_exp
        Weight of the least significant bit.
    """

    bits: int
    lsb_exp: int

    def __post_init__(self) -> None:
        check_int(self.bits, role="bits", minimum=1)
        if isinstance(self.lsb_exp, bool) or not isinstance(self.lsb_exp, int | np.integer):
            raise HwgenError(f"lsb_exp must be an integer, not {self.lsb_exp!r}")
        object.__setattr__(self, "bits", int(self.bits))
        object.__setattr__(self, "lsb_exp", int(self.lsb_exp))

    @property
    def lo(self) -> int:
        """Most negative integer the accumulator holds, ``-2**(bits-1)``."""
        return -(1 << (self.bits - 1))

    @property
    def hi(self) -> int:
        """Largest integer the accumulator holds, ``2**(bits-1) - 1``."""
        return (1 << (self.bits - 1)) - 1


@cache
def _extreme_codes(fmt: Format) -> np.ndarray:
    """Codes of the most negative and the largest finite value."""
    v = np.where(fmt.finite_mask, fmt.values(), np.nan)
    return np.array([np.nanargmin(v), np.nanargmax(v)], dtype=np.intp)


def extreme_products(
    a_format: str | Format,
    w_format: str | Format,
    *,
    multiplier: Multiplier = Multiplier.EXACT,
) -> tuple[int, int]:
    """Smallest and largest product of finite values, in units of ``2**(a.lsb + w.lsb)``.

    Returns
    -------
    tuple[int, int]
        ``(p_min, p_max)`` as Python ints.
    """
    a_fmt = resolve_format(a_format, role="a_format")
    w_fmt = resolve_format(w_format, role="w_format")
    return _extreme_products(a_fmt, w_fmt, as_multiplier(multiplier))


@cache
def _extreme_products(a_fmt: Format, w_fmt: Format, multiplier: Multiplier) -> tuple[int, int]:
    a_idx = _extreme_codes(a_fmt)[:, None]
    w_idx = _extreme_codes(w_fmt)[None, :]
    corners = [
        int(x) for x in terms_to_ints(product_terms(a_fmt, a_idx, w_fmt, w_idx, multiplier)).ravel()
    ]
    return min(corners), max(corners)


def smallest_product(
    a_format: str | Format,
    w_format: str | Format,
    *,
    multiplier: Multiplier = Multiplier.EXACT,
) -> int:
    """Smallest nonzero product magnitude, in units of ``2**(a.lsb + w.lsb)`` (0 if none).

    Each multiplier's magnitude grows with each operand's magnitude, so the smallest
    nonzero product is that of each format's smallest magnitude that gives a nonzero
    product with the other format's largest (for L-Mul this skips the operands it
    flushes to zero).
    """
    a_fmt = resolve_format(a_format, role="a_format")
    w_fmt = resolve_format(w_format, role="w_format")
    return _smallest_product(a_fmt, w_fmt, as_multiplier(multiplier))


@cache
def _smallest_product(a_fmt: Format, w_fmt: Format, multiplier: Multiplier) -> int:
    def live(fmt: Format, other: Format, other_code: int, first: bool) -> int | None:
        v = np.where(fmt.finite_mask, np.abs(fmt.values()), 0.0)
        codes = np.flatnonzero(v > 0)
        codes = codes[np.argsort(v[codes], kind="stable")]
        fixed = np.full(codes.size, other_code, dtype=np.intp)
        pair = (fmt, codes, other, fixed) if first else (other, fixed, fmt, codes)
        p = terms_to_ints(product_terms(*pair, multiplier))
        nz = np.flatnonzero(p != 0)
        return int(codes[nz[0]]) if nz.size else None

    a_big = int(_extreme_codes(a_fmt)[1])
    w_big = int(_extreme_codes(w_fmt)[1])
    a_small = live(a_fmt, w_fmt, w_big, True)
    w_small = live(w_fmt, a_fmt, a_big, False)
    if a_small is None or w_small is None:
        return 0
    t = product_terms(
        a_fmt, np.array([a_small], dtype=np.intp), w_fmt, np.array([w_small], dtype=np.intp),
        multiplier,
    )  # fmt: skip
    return abs(int(terms_to_ints(t)[0]))


def accumulator_spec(
    a_format: str | Format,
    w_format: str | Format,
    max_terms: int,
    *,
    multiplier: Multiplier = Multiplier.EXACT,
) -> AccumulatorSpec:
    """Minimal exact accumulator for any sum of up to ``max_terms`` finite products.

    Parameters
    ----------
    a_format, w_format
        Registry names or format objects.
    max_terms
        Longest dot product the accumulator must hold exactly, >= 1.
    multiplier
        The multiplier producing the products (L-Mul products can exceed exact ones).

    Returns
    -------
    AccumulatorSpec
        ``bits`` = smallest ``b`` with ``-2**(b-1) <= n * p_min`` and ``n * p_max <= 2**(b-1) - 1``
        (the range always includes 0), ``lsb_exp = a.lsb_exp + w.lsb_exp``.
    """
    n = check_int(max_terms, role="max_terms", minimum=1)
    a_fmt = resolve_format(a_format, role="a_format")
    w_fmt = resolve_format(w_format, role="w_format")
    p_min, p_max = extreme_products(a_fmt, w_fmt, multiplier=multiplier)
    bits = signed_width(min(0, n * p_min), max(0, n * p_max))
    return AccumulatorSpec(bits=bits, lsb_exp=a_fmt.lsb_exp + w_fmt.lsb_exp)


def published_accumulator_bits(
    a_format: str | Format, w_format: str | Format, max_terms: int
) -> int:
    """Accumulator width of Aggarwal et al. (FPL 2024) for an exact ``max_terms`` dot product.

    INT x INT: ``a + b + ceil(log2 n) + 1`` (operand widths ``a``, ``b``);
    FLOAT x FLOAT: ``2**ea + ma + 2**eb + mb + ceil(log2 n) - 1`` (exponent / mantissa
    bits). Other pairings are not covered by the paper and raise :class:`HwgenError`.
    """
    n = check_int(max_terms, role="max_terms", minimum=1)
    a_fmt = resolve_format(a_format, role="a_format")
    w_fmt = resolve_format(w_format, role="w_format")
    log_n = (n - 1).bit_length()  # ceil(log2 n), exact for every int
    kinds = (a_fmt.kind, w_fmt.kind)
    if kinds == (FormatKind.INT, FormatKind.INT):
        return a_fmt.bits + w_fmt.bits + log_n + 1
    if kinds == (FormatKind.FLOAT, FormatKind.FLOAT):
        ea, ma = a_fmt.exp_bits, a_fmt.man_bits  # type: ignore[attr-defined]
        eb, mb = w_fmt.exp_bits, w_fmt.man_bits  # type: ignore[attr-defined]
        return (1 << ea) + ma + (1 << eb) + mb + log_n - 1
    raise HwgenError(
        f"the published bound covers int x int and float x float, not"
        f" {a_fmt.kind.value} x {w_fmt.kind.value} ({a_fmt.name} x {w_fmt.name})"
    )
