"""What a multiplier delivers to an accumulator: the product interface, as facts.

Every multiplier of :mod:`hwgen.golden.products` yields, per product, a signed integer
significand ``sig`` and a shift ``shift in [0, shift_max]`` with

    value = sig * 2**(shift + lsb_exp)

plus the 3-bit special-value flag word (:class:`~hwgen.golden.specials.Flag`) when an
operand format has NaN / inf codes, and the product's sign (the XOR of the operands' sign
bits, which is what gives a zero product its sign). :class:`ProductSpec` records the bounds
the hardware sizes its ports from; :func:`product_spec` derives them from the formats.
"""

from __future__ import annotations

from dataclasses import dataclass

from hwgen.errors import HwgenError
from hwgen.formats import Format, signed_width
from hwgen.golden._operands import resolve_format
from hwgen.golden.products import Multiplier, as_multiplier


@dataclass(frozen=True, kw_only=True)
class ProductSpec:
    """Bounds of the products one multiplier delivers (``value = sig * 2**(shift + lsb_exp)``).

    Parameters
    ----------
    sig_min, sig_max
        Smallest and largest signed significand (``sig_min <= 0 <= sig_max``).
    shift_max
        Largest shift, >= 0 (0: a fixed-point product, no shift port).
    lsb_exp
        Weight exponent of ``sig``'s LSB at shift 0.
    specials
        Whether products can be NaN or infinite (a flag word travels with them).
    """

    sig_min: int
    sig_max: int
    shift_max: int
    lsb_exp: int
    specials: bool

    def __post_init__(self) -> None:
        for name in ("sig_min", "sig_max", "shift_max", "lsb_exp"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise HwgenError(f"{name} must be an integer, not {v!r}")
        if not self.sig_min <= 0 <= self.sig_max or self.sig_min == self.sig_max:
            raise HwgenError(
                f"sig_min <= 0 <= sig_max with a non-zero range is required, not"
                f" {self.sig_min}..{self.sig_max}"
            )
        if self.shift_max < 0:
            raise HwgenError(f"shift_max must be >= 0, not {self.shift_max}")

    @property
    def sig_width(self) -> int:
        """Two's complement width of ``sig`` (the multiplier's ``prod`` port)."""
        return signed_width(self.sig_min, self.sig_max)

    @property
    def mag_bits(self) -> int:
        """Bits of the largest magnitude ``|sig|``."""
        return max(-self.sig_min, self.sig_max).bit_length()


def product_spec(
    a_format: str | Format, w_format: str | Format, multiplier: Multiplier = Multiplier.EXACT
) -> ProductSpec:
    """The :class:`ProductSpec` of ``a x w`` products of ``multiplier``.

    For the exact multiplier the bounds are the corner products of the formats' significand
    ranges (what :class:`hwgen.rtl.common.multipliers.ExactMultiplier` sizes ``prod`` from); for
    L-Mul ``+-S_max`` and the constant shift ``min(ma, mw)`` folded into ``lsb_exp`` (the
    hardware's ``shift`` port carries only ``a_exp + w_exp``).
    """
    a = resolve_format(a_format, role="a_format")
    w = resolve_format(w_format, role="w_format")
    mult = as_multiplier(multiplier)
    specials = a.has_specials or w.has_specials
    shift_max = a.sig_exp.exp_max + w.sig_exp.exp_max
    if mult is Multiplier.LMUL:
        import numpy as np

        from hwgen.golden.lmul import lmul_terms

        t = lmul_terms(a, np.zeros(1, np.intp), w, np.zeros(1, np.intp))
        base = t.shift_bound - shift_max
        return ProductSpec(
            sig_min=-t.sig_bound,
            sig_max=t.sig_bound,
            shift_max=shift_max,
            lsb_exp=t.lsb_exp + base,
            specials=specials,
        )
    a_lo, a_hi = int(a.sig_exp.sig.min()), int(a.sig_exp.sig.max())
    w_lo, w_hi = int(w.sig_exp.sig.min()), int(w.sig_exp.sig.max())
    corners = [a_lo * w_lo, a_lo * w_hi, a_hi * w_lo, a_hi * w_hi]
    return ProductSpec(
        sig_min=min(0, *corners),
        sig_max=max(0, *corners),
        shift_max=shift_max,
        lsb_exp=a.lsb_exp + w.lsb_exp,
        specials=specials,
    )
