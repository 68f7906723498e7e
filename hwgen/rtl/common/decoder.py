"""Operand decoder: a format code -> signed significand, exponent offset and special flags.

Every finite code decodes to ``value = sig * 2**(exp + fmt.lsb_exp)`` (the format's
:class:`~hwgen.formats.SigExp`): the product of two decoded operands is then an exact
integer shifted by the exponent sum, with no rounding anywhere in the datapath.
"""

from __future__ import annotations

from amaranth.hdl import Array, Cat, Const, Module, Mux, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen._validate import check_type
from hwgen.design.mac import MAX_OPERAND_BITS
from hwgen.errors import HwgenError
from hwgen.formats import Format, IntFormat, MinifloatFormat, SpecialPolicy
from hwgen.rtl.common.util import bits_for


def exp_width(fmt: Format) -> int:
    """Width of the decoder's ``exp`` port; 0 when every code has exponent offset 0."""
    exp_max = fmt.sig_exp.exp_max
    return 0 if exp_max == 0 else bits_for(exp_max)


class Decoder(wiring.Component):
    """Decode one code of ``fmt`` into the hardware decomposition of its value.

    Parameters
    ----------
    fmt
        The operand format (any :class:`~hwgen.formats.Format` of at most 16 bits).
    with_mag
        Add the ``mag`` output (sign-magnitude datapaths such as the BitMoD PE read it).
        Off by default so that designs which do not read it keep their Verilog bytes.

    Ports
    -----
    code : In(unsigned(fmt.bits))
        Raw code.
    sig : Out(signed(fmt.sig_exp.sig_width))
        Signed significand; 0 for NaN and infinity codes.
    mag : Out(unsigned(fmt.sig_exp.sig_width))
        ``|sig|``, formed without negating twice (a minifloat's magnitude is its fields);
        only with ``with_mag``.
    exp : Out(unsigned(exp_width(fmt)))
        Exponent offset in ``[0, fmt.sig_exp.exp_max]``; only present when ``exp_max > 0``.
    is_nan, is_inf, neg : Out(unsigned(1))
        Only present when the format has special codes: NaN, infinity, and the sign bit
        (which gives the sign of an infinity).

    Minifloats decode by field extraction and the implicit bit (no table); integers pass the
    code through as a signed number; table formats use a constant lookup of their
    ``sig_exp``.
    """

    def __init__(self, *, fmt: Format, with_mag: bool = False) -> None:
        check_type("fmt", fmt, Format)
        if fmt.bits > MAX_OPERAND_BITS:
            raise HwgenError(
                f"decoders take formats of at most {MAX_OPERAND_BITS} bits, not {fmt.bits} ({fmt})"
            )
        if not isinstance(fmt, MinifloatFormat | IntFormat) and fmt.sig_exp.exp_max:
            raise HwgenError(
                f"no hardware decoder for {fmt.kind.value} format {fmt.name} with exponents:"
                " table decoders need sig_exp.exp == 0"
            )
        if not isinstance(with_mag, bool):
            raise HwgenError(f"with_mag must be True or False, not {with_mag!r}")
        self.fmt = fmt
        self.with_mag = with_mag
        self.sig_width = fmt.sig_exp.sig_width
        self.exp_width = exp_width(fmt)
        self.specials = fmt.has_specials
        members: dict[str, wiring.Member] = {
            "code": In(unsigned(fmt.bits)),
            "sig": Out(signed(self.sig_width)),
        }
        if with_mag:
            members["mag"] = Out(unsigned(self.sig_width))
        if self.exp_width:
            members["exp"] = Out(unsigned(self.exp_width))
        if self.specials:
            members |= {
                "is_nan": Out(unsigned(1)),
                "is_inf": Out(unsigned(1)),
                "neg": Out(unsigned(1)),
            }
        super().__init__(wiring.Signature(members))

    def elaborate(self, platform: object) -> Module:
        m = Module()
        fmt = self.fmt
        if isinstance(fmt, MinifloatFormat):
            self._minifloat(m, fmt)
        elif isinstance(fmt, IntFormat):
            # The code is the two's complement pattern (or the unsigned value): zero or sign
            # extension to sig_width is the whole decoder.
            code = self.code.as_signed() if fmt.signed else self.code
            m.d.comb += self.sig.eq(code)
            if self.with_mag:
                m.d.comb += self.mag.eq(abs(code))
        else:
            self._table(m, fmt)
        return m

    def _table(self, m: Module, fmt: Format) -> None:
        """Constant lookup of ``sig_exp.sig`` (every such format has ``exp == 0``)."""
        table = Array(Const(int(v), signed(self.sig_width)) for v in fmt.sig_exp.sig)
        m.d.comb += self.sig.eq(table[self.code])
        if self.with_mag:
            mags = Array(Const(abs(int(v)), unsigned(self.sig_width)) for v in fmt.sig_exp.sig)
            m.d.comb += self.mag.eq(mags[self.code])

    def _minifloat(self, m: Module, fmt: MinifloatFormat) -> None:
        e, man = fmt.exp_bits, fmt.man_bits
        ef = self.code[man : man + e]
        sign = self.code[e + man]
        special: Value = Const(0, 1)
        if fmt.specials is SpecialPolicy.IEEE:
            special = ef.all()
            mant_nonzero = self.code[:man].any() if man else Const(0, 1)
            m.d.comb += [
                self.is_inf.eq(special & ~mant_nonzero),
                self.is_nan.eq(special & mant_nonzero),
            ]
        elif fmt.specials is SpecialPolicy.FN:
            special = self.code[: e + man].all()
            m.d.comb += self.is_nan.eq(special)
        if self.specials:
            m.d.comb += self.neg.eq(sign)
        normal = ef.any()
        # The implicit bit; a zero exponent field means a subnormal (no implicit bit) or,
        # for formats without subnormals, a zero.
        mant = self.code[:man]
        if not fmt.subnormals:
            mant = mant & normal.replicate(man)
        mag = Cat(mant, normal)
        live = ~special
        with m.If(live):
            m.d.comb += self.sig.eq(Mux(sign, -mag, mag))
            if self.with_mag:
                m.d.comb += self.mag.eq(mag)
        if self.exp_width:
            # exp = max(E, 1) - 1: the subnormal exponent equals the smallest normal one.
            with m.If(normal & live):
                m.d.comb += self.exp.eq(ef - 1)
