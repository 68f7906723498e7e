"""Aligner: a product ``prod << shift`` placed into the accumulator's fixed-point frame."""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen._validate import check_int
from hwgen.rtl.common.util import bits_for, sext, shift_left


class Aligner(wiring.Component):
    """Shift a signed product left by a variable plus a constant amount.

    ``term = floor(prod * 2**(shift + offset))``, computed modulo ``2**width``. The full,
    exact result needs :attr:`exact_width` bits; a narrower ``width`` keeps the low bits,
    which is what a wrapping accumulator of that width needs (bits above its MSB never
    matter). A negative ``offset`` is an accumulator window whose LSB lies above the
    product's: the shifted product loses its ``-offset`` lowest bits (two's complement
    truncation, rounding towards -inf: :func:`hwgen.golden.window_truncate`).

    Parameters
    ----------
    prod_width
        Width of the signed ``prod`` input.
    shift_max
        Largest ``shift`` value; 0 means there is no ``shift`` port (a constant shift).
    offset
        Constant left shift: the distance between the product's LSB weight and the
        accumulator's, plus any constant the multiplier adds (L-Mul); negative for a
        window above the product's LSB (that many bits are dropped).
    width
        Width of the ``term`` output, >= 1.

    Ports
    -----
    prod : In(signed(prod_width))
    shift : In(unsigned(bits_for(shift_max)))  (only when ``shift_max > 0``)
    term : Out(signed(width))
    """

    def __init__(self, *, prod_width: int, shift_max: int, offset: int, width: int) -> None:
        check_int("offset", offset)
        check_int("width", width, 1)
        self.prod_width, self.shift_max, self.offset, self.width = (
            prod_width,
            shift_max,
            offset,
            width,
        )
        self.exact_width = max(1, prod_width + shift_max + offset)
        members: dict[str, wiring.Member] = {"prod": In(signed(prod_width))}
        if shift_max:
            members["shift"] = In(unsigned(bits_for(shift_max)))
        members["term"] = Out(signed(width))
        super().__init__(wiring.Signature(members))

    def elaborate(self, platform: object) -> Module:
        if self.offset < 0:
            return self._truncating()
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

    def _truncating(self) -> Module:
        """``offset < 0``: ``floor(prod * 2**(shift - drop))`` with ``drop = -offset``.

        The shifter is only as wide as the kept bits need (``drop + width``); its last
        stage's low ``drop`` bits are the ones cut (slicing the low bits off a two's
        complement value is the floor of the division).
        """
        m = Module()
        drop = -self.offset
        x: Value = self.prod.as_signed()
        if self.shift_max:
            shifted_width = min(self.prod_width + self.shift_max, drop + self.width)
            if len(x) > shifted_width:
                x = x[:shifted_width].as_signed()
            kept = shift_left(m, x, self.shift, width=shifted_width, name="stage", drop=drop)
        else:
            # A constant shift: the product's low bits are the ones dropped.
            low = Signal(unsigned(min(drop, len(x))), name="lsbs_unused")
            if len(x) > drop:
                high = Signal(signed(len(x) - drop), name="kept")
                m.d.comb += Cat(low, high).eq(x)
                kept = high
            else:
                m.d.comb += low.eq(x)
                kept = x[-1:].as_signed()
        if len(kept) > self.width:
            kept = kept[: self.width].as_signed()
        m.d.comb += self.term.eq(sext(kept, self.width))
        return m
