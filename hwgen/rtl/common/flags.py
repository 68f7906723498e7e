"""Special-value flags: per-product NaN / +-inf detection and the sticky flag register.

Bit layout (``docs/hardware.md``, :class:`hwgen.golden.Flag`): bit 0 ``nan`` (a NaN operand,
inf x 0, or +inf and -inf both seen since the last clear), bit 1 ``pinf``, bit 2 ``ninf``.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen.formats import Format
from hwgen.golden import FLAG_BITS, FLAG_WIDTH

__all__ = ["FLAG_BITS", "FLAG_WIDTH", "FlagRegister", "ProductFlags"]


class ProductFlags(wiring.Component):
    """Flag word of one product ``a * w`` from the two decoders' outputs.

    A NaN operand or inf x 0 gives ``nan``; otherwise an infinite operand gives ``pinf`` or
    ``ninf`` by the XOR of the operand signs (as :func:`hwgen.golden.product_flags`).

    Parameters
    ----------
    a_fmt, w_fmt
        Operand formats; at least one must have special codes.

    Ports
    -----
    a_sig, w_sig : In(signed)
        Decoded significands (0 for special codes, so ``sig == 0`` on a finite code is zero).
    a_nan, a_inf, a_neg, w_nan, w_inf, w_neg : In(unsigned(1))
        Decoder flags; present only for an operand whose format has special codes (the
        sign of a finite operand without them is the sign of its significand).
    flags : Out(unsigned(FLAG_WIDTH))
    """

    def __init__(self, *, a_fmt: Format, w_fmt: Format) -> None:
        self.a_specials, self.w_specials = a_fmt.has_specials, w_fmt.has_specials
        members: dict[str, wiring.Member] = {
            "a_sig": In(signed(a_fmt.sig_exp.sig_width)),
            "w_sig": In(signed(w_fmt.sig_exp.sig_width)),
        }
        for role, present in (("a", self.a_specials), ("w", self.w_specials)):
            if present:
                members |= {
                    f"{role}_nan": In(unsigned(1)),
                    f"{role}_inf": In(unsigned(1)),
                    f"{role}_neg": In(unsigned(1)),
                }
        members["flags"] = Out(unsigned(FLAG_WIDTH))
        super().__init__(wiring.Signature(members))

    def _operand(self, role: str, present: bool) -> tuple[Value, Value, Value, Value]:
        sig = getattr(self, f"{role}_sig")
        if not present:
            return Const(0, 1), Const(0, 1), ~sig.any(), sig[-1]
        nan, inf, neg = (getattr(self, f"{role}_{x}") for x in ("nan", "inf", "neg"))
        return nan, inf, ~(sig.any() | nan | inf), neg

    def elaborate(self, platform: object) -> Module:
        m = Module()
        a_nan, a_inf, a_zero, a_neg = self._operand("a", self.a_specials)
        w_nan, w_inf, w_zero, w_neg = self._operand("w", self.w_specials)
        nan = a_nan | w_nan | (a_inf & w_zero) | (a_zero & w_inf)
        inf = (a_inf | w_inf) & ~nan
        neg = a_neg ^ w_neg
        word: list[Value] = [Const(0, 1)] * FLAG_WIDTH
        word[FLAG_BITS["nan"]] = nan
        word[FLAG_BITS["pinf"]] = inf & ~neg
        word[FLAG_BITS["ninf"]] = inf & neg
        m.d.comb += self.flags.eq(Cat(*word))
        return m


class FlagRegister(wiring.Component):
    """Sticky flags since the last clear, with the same valid / clear rules as the accumulator.

    ``flags := settle((clear ? 0 : flags) | (valid ? pflags : 0))`` where ``settle`` adds
    ``nan`` when both ``pinf`` and ``ninf`` are set (+inf + -inf).

    Ports
    -----
    pflags : In(unsigned(FLAG_WIDTH))
        Flag word of this cycle's product.
    valid, clear : In(unsigned(1))
    flags : Out(unsigned(FLAG_WIDTH))
        The register (reset to 0).
    """

    def __init__(self) -> None:
        super().__init__(
            {
                "pflags": In(unsigned(FLAG_WIDTH)),
                "valid": In(unsigned(1)),
                "clear": In(unsigned(1)),
                "flags": Out(unsigned(FLAG_WIDTH)),
            }
        )

    def elaborate(self, platform: object) -> Module:
        m = Module()
        bits = {}
        for name, pos in FLAG_BITS.items():
            bits[name] = (~self.clear & self.flags[pos]) | (self.valid & self.pflags[pos])
        # +inf and -inf seen since the clear: the sum is NaN.
        bits["nan"] = bits["nan"] | (bits["pinf"] & bits["ninf"])
        word: list[Value] = [Const(0, 1)] * FLAG_WIDTH
        for name, pos in FLAG_BITS.items():
            word[pos] = bits[name]
        m.d.sync += self.flags.eq(Cat(*word))
        return m
