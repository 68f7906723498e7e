"""Aligner: a product ``prod << shift`` placed into the accumulator's fixed-point frame."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen._validate import check_int
from hwgen.rtl.common.util import bits_for, sext, shift_left


class Aligner(wiring.Component):
    """Shift a signed product left by a variable plus a constant amount.

    ``term = prod << (shift + offset)``, computed modulo ``2**width``. The full, exact
    result needs :attr:`exact_width` bits; a narrower ``width`` keeps the low bits, which
    is what a wrapping accumulator of that width needs (bits above its MSB never matter).

    Parameters
    ----------
    prod_width
        Width of the signed ``prod`` input.
    shift_max
        Largest ``shift`` value; 0 means there is no ``shift`` port (a constant shift).
    offset
        Constant left shift, >= 0: the distance between the product's LSB weight and the
        accumulator's, plus any constant the multiplier adds (L-Mul).
    width
        Width of the ``term`` output, >= 1.

    Ports
    -----
    prod : In(signed(prod_width))
    shift : In(unsigned(bits_for(shift_max)))  (only when ``shift_max > 0``)
    term : Out(signed(width))
    """

    def __init__(self, *, prod_width: int, shift_max: int, offset: int, width: int) -> None:
        check_int("offset", offset, 0)
        check_int("width", width, 1)
        self.prod_width, self.shift_max, self.offset, self.width = (
            prod_width,
            shift_max,
            offset,
            width,
        )
        self.exact_width = prod_width + shift_max + offset
        members: dict[str, wiring.Member] = {"prod": In(signed(prod_width))}
        if shift_max:
            members["shift"] = In(unsigned(bits_for(shift_max)))
        members["term"] = Out(signed(width))
        super().__init__(wiring.Signature(members))

    def elaborate(self, platform: object) -> Module:
        m = Module()
        x = self.prod
        if self.offset:
            x = Cat(Const(0, unsigned(self.offset)), x).as_signed()
        if len(x) > self.width:
            # Only the low bits reach a narrower (wrapping) accumulator.
            x = x[: self.width].as_signed()
        if self.shift_max:
            x = shift_left(m, x, self.shift, width=self.width, name="stage")
        else:
            x = sext(x, self.width)
        m.d.comb += self.term.eq(x)
        return m
