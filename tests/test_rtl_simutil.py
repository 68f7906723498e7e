"""Amaranth-simulator helpers shared by the ``test_rtl_*`` modules (plus their own checks).

``comb_eval`` drives a combinational component through a list of input vectors;
``run_mac`` clocks a :class:`~hwgen.rtl.MacUnit` through a cycle sequence and returns what
its outputs show after each cycle, aligned with :func:`hwgen.golden.mac_trace`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out
from amaranth.sim import Simulator

from hwgen.golden import acc_to_format, mac_trace
from hwgen.rtl import MacConfig


def comb_eval(
    component: wiring.Component, inputs: Mapping[str, Sequence[int]], outputs: Sequence[str]
) -> dict[str, list[int]]:
    """Apply each input vector (same-length sequences per port) and read ``outputs``."""
    lengths = {len(v) for v in inputs.values()}
    assert len(lengths) == 1, "all input sequences must have the same length"
    (n,) = lengths
    got: dict[str, list[int]] = {name: [] for name in outputs}

    async def bench(ctx) -> None:
        for i in range(n):
            for name, values in inputs.items():
                ctx.set(getattr(component, name), int(values[i]))
            for name in outputs:
                got[name].append(ctx.get(getattr(component, name)))

    sim = Simulator(component)
    sim.add_testbench(bench)
    sim.run()
    return got


def clocked_eval(
    component: wiring.Component, inputs: Mapping[str, Sequence[int]], outputs: Sequence[str]
) -> dict[str, list[int]]:
    """Apply one input vector per clock cycle and read ``outputs`` after each rising edge."""
    (n,) = {len(v) for v in inputs.values()}
    got: dict[str, list[int]] = {name: [] for name in outputs}

    async def bench(ctx) -> None:
        for i in range(n):
            for name, values in inputs.items():
                ctx.set(getattr(component, name), int(values[i]))
            await ctx.tick()
            for name in outputs:
                got[name].append(ctx.get(getattr(component, name)))

    sim = Simulator(component)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got


@dataclass(frozen=True)
class MacRun:
    """What a MAC shows after each input cycle (pipeline latency already removed)."""

    acc: list[int]
    flags: list[int]
    out: list[int]


def run_mac(
    cfg: MacConfig,
    a: Sequence[int],
    w: Sequence[int],
    valid: Sequence[int],
    clear: Sequence[int],
) -> MacRun:
    """Clock the unit of ``cfg`` through the cycles; entry ``t`` is the state after cycle ``t``.

    The unit is clocked ``cfg.stages`` extra idle cycles so the last products arrive, and
    the first ``cfg.stages`` samples (pipeline filling) are dropped: entry ``t`` is read
    ``cfg.latency`` rising edges after cycle ``t``'s inputs were sampled.
    """
    unit = cfg.create()
    lat = cfg.latency - 1
    pad = [0] * lat
    outputs = ["acc"] + (["flags"] if cfg.has_flags else []) + (["out"] if cfg.out else [])
    got = clocked_eval(
        unit,
        {
            "a": [*a, *pad],
            "w": [*w, *pad],
            "valid": [*valid, *pad],
            "clear": [*clear, *pad],
        },
        outputs,
    )
    n = len(a)
    return MacRun(
        acc=got["acc"][lat : lat + n],
        flags=got["flags"][lat : lat + n] if cfg.has_flags else [0] * n,
        out=got["out"][lat : lat + n] if cfg.out else [],
    )


def check_mac(
    cfg: MacConfig,
    a: Sequence[int],
    w: Sequence[int],
    valid: Sequence[int],
    clear: Sequence[int],
) -> None:
    """Assert that the hardware matches :func:`hwgen.golden.mac_trace` cycle by cycle."""
    hw = run_mac(cfg, a, w, valid, clear)
    gold = mac_trace(
        cfg.a,
        np.asarray(a),
        cfg.w,
        np.asarray(w),
        np.asarray(valid, dtype=bool),
        np.asarray(clear, dtype=bool),
        acc=cfg.accumulator,
        overflow=cfg.overflow,
        multiplier=cfg.multiplier,
    )
    assert hw.acc == [int(x) for x in gold.acc]
    assert hw.flags == [int(x) for x in gold.flags]
    if cfg.out is not None:
        codes = acc_to_format(
            gold.acc,
            cfg.accumulator.lsb_exp,
            cfg.out,
            flags=gold.flags if cfg.has_flags else None,
        )
        assert hw.out == [int(x) for x in codes]


# ---------------------------------------------------------------- checks of the helpers
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
