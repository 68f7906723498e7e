"""Accumulator: signed adder and register with valid / clear and an overflow policy."""

from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen.errors import HwgenError
from hwgen.golden import Overflow
from hwgen.rtl.common.util import sext


class Accumulator(wiring.Component):
    """``acc`` register updated per cycle as in ``docs/hardware.md``.

    ``valid & clear``: ``acc := term``; ``valid``: ``acc := acc + term``; ``clear``:
    ``acc := 0``; otherwise hold. The update is one adder, ``(valid ? term : 0) +
    (clear ? 0 : acc)``, which covers all four cases. Overflow policy
    (:class:`hwgen.golden.Overflow`):

    * ``EXACT`` -- the width is sized so no sum can leave the range; the adder wraps;
    * ``WRAP`` -- the sum modulo ``2**bits`` (plain truncation);
    * ``SATURATE`` -- the sum is formed one bit wider than both operands (no overflow is
      possible there) and clamped to ``[-2**(bits-1), 2**(bits-1) - 1]``. A term wider
      than ``bits + 1`` is first clamped to ``bits + 1`` bits, which changes no result:
      any such term drives every sum out of range on the same side.

    Parameters
    ----------
    term_width
        Width of the signed ``term`` input; at most ``bits`` unless saturating (the aligner
        delivers a wrapping accumulator only the bits it keeps).
    bits
        Accumulator width, >= 1.
    overflow
        The overflow policy.

    Ports
    -----
    term : In(signed(term_width))
    valid, clear : In(unsigned(1))
    acc : Out(signed(bits))
        The register (reset to 0 by the domain's reset).
    """

    def __init__(self, *, term_width: int, bits: int, overflow: Overflow) -> None:
        self.overflow = Overflow(overflow)
        if bits < 1 or term_width < 1:
            raise HwgenError(f"bits and term_width must be >= 1, not {bits} and {term_width}")
        if term_width > bits and self.overflow is not Overflow.SATURATE:
            raise HwgenError(
                f"a {term_width}-bit term does not fit a {bits}-bit {self.overflow.value}"
                " accumulator; align it to the accumulator width first"
            )
        self.term_width, self.bits = term_width, bits
        super().__init__(
            {
                "term": In(signed(term_width)),
                "valid": In(unsigned(1)),
                "clear": In(unsigned(1)),
                "acc": Out(signed(bits)),
            }
        )

    def elaborate(self, platform: object) -> Module:
        m = Module()
        bits = self.bits
        if self.overflow is not Overflow.SATURATE:
            base = Mux(self.clear, Const(0, signed(bits)), self.acc)
            add = Mux(self.valid, sext(self.term, bits), Const(0, signed(bits)))
            # The term is the adder's first operand on purpose. Xilinx's carry chain feeds
            # the `$alu`'s first operand to each CARRY4 `DI` input, which must then exist
            # as a signal of its own: the term's sign-extension bits are one shared signal,
            # whereas `base` would need one LUT per bit. Yosys 0.70 keeps this sum's
            # operand order (its tie-break between two equally wide operands is internal,
            # so re-measure after changing the expression). `synth_xilinx -nodsp`: int8 x
            # int8 177 LUTs instead of 193, int4 x int4 55 instead of 73; with DSP 44 LUTs
            # + 1 DSP48 instead of 57 + 1.
            m.d.sync += self.acc.eq(add + base)
            return m
        term = self.term
        if len(term) > bits + 1:
            lo, hi = -(1 << bits), (1 << bits) - 1
            clamped = Signal(signed(bits + 1))
            with m.If(term < lo):
                m.d.comb += clamped.eq(lo)
            with m.Elif(term > hi):
                m.d.comb += clamped.eq(hi)
            with m.Else():
                m.d.comb += clamped.eq(term[: bits + 1])
            term = clamped
        width = max(bits, len(term)) + 1
        base = Mux(self.clear, Const(0, signed(width)), sext(self.acc, width))
        add = Mux(self.valid, sext(term, width), Const(0, signed(width)))
        total = Signal(signed(width))
        m.d.comb += total.eq(base + add)
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        with m.If(total < lo):
            m.d.sync += self.acc.eq(lo)
        with m.Elif(total > hi):
            m.d.sync += self.acc.eq(hi)
        with m.Else():
            m.d.sync += self.acc.eq(total[:bits])
        return m
