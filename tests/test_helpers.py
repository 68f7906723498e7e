"""Checks of the shared test helpers themselves (tests/helpers.py)."""

from __future__ import annotations

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from helpers import clocked_eval, comb_eval


class _Adder(wiring.Component):
    def __init__(self) -> None:
        super().__init__({"x": In(signed(4)), "y": In(signed(4)), "s": Out(signed(5))})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        m.d.comb += self.s.eq(self.x + self.y)
        return m


class _Counter(wiring.Component):
    def __init__(self) -> None:
        super().__init__({"en": In(1), "count": Out(4)})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        nxt = Signal(5)
        m.d.comb += nxt.eq(self.count + self.en)
        m.d.sync += self.count.eq(nxt[:4])
        return m


def test_comb_eval_reads_signed_outputs() -> None:
    got = comb_eval(_Adder(), {"x": [7, -8, 3], "y": [7, -8, -5]}, ["s"])
    assert got["s"] == [14, -16, -2]


def test_clocked_eval_samples_after_each_edge() -> None:
    got = clocked_eval(_Counter(), {"en": [1, 1, 0, 1]}, ["count"])
    assert got["count"] == [1, 2, 2, 3]
