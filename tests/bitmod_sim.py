"""Amaranth-simulator driver for the BitMoD PE (shared by the ``test_rtl_bitmod*`` modules)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from amaranth.sim import Simulator

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.golden.bitmod import PEMode
from hwgen.rtl.bitmod import special_to_field


@dataclass(frozen=True)
class Group:
    """One group of stimulus: codes in stream order plus its metadata."""

    a: np.ndarray
    w: np.ndarray
    dtype: int
    sel: int
    scale: int


@dataclass(frozen=True)
class PERun:
    """Outputs per group, the cycles the run took and the cycles ``ready`` was refused."""

    results: list[tuple[int, int, int]]
    cycles: int
    stall_cycles: int


def run_pe(
    cfg: BitmodPEConfig,
    groups: Sequence[Group],
    *,
    out_ready: Sequence[int] | None = None,
    sv_writes: Sequence[tuple[int, int]] = (),
    max_cycles: int = 100_000,
) -> PERun:
    """Stream ``groups`` through ``cfg.create()`` and collect every group result.

    ``out_ready[t % len]`` drives ``out_ready`` in cycle ``t`` (default: always 1).
    ``sv_writes`` are ``(addr, value)`` register writes done before streaming.
    """
    pe = cfg.create()
    d = cfg.dot
    ab = cfg.act_bits
    beats = cfg.beats_per_group
    beat_list = []
    for g in groups:
        for b in range(beats):
            sl = slice(b * d, (b + 1) * d)
            w = sum(int(c) << (8 * i) for i, c in enumerate(g.w[sl]))
            a = sum(int(c) << (ab * i) for i, c in enumerate(g.a[sl]))
            beat_list.append((w, a))
    results: list[tuple[int, int, int]] = []
    stats = {"cycles": 0, "stalls": 0}
    narrow = cfg.mode is PEMode.NARROW

    async def bench(ctx) -> None:
        for addr, value in sv_writes:
            ctx.set(pe.sv_we, 1)
            ctx.set(pe.sv_addr, addr)
            ctx.set(pe.sv_data, special_to_field(value))
            await ctx.tick()
        ctx.set(pe.sv_we, 0)
        mi = bi = 0
        t = 0
        while len(results) < len(groups):
            assert t < max_cycles, "PE made no progress"
            if mi < len(groups):
                g = groups[mi]
                ctx.set(pe.meta_valid, 1)
                ctx.set(pe.meta_dtype, g.dtype)
                ctx.set(pe.meta_sel, g.sel)
                ctx.set(pe.meta_scale, g.scale)
            else:
                ctx.set(pe.meta_valid, 0)
            if bi < len(beat_list):
                ctx.set(pe.valid, 1)
                ctx.set(pe.w, beat_list[bi][0])
                ctx.set(pe.a, beat_list[bi][1])
            else:
                ctx.set(pe.valid, 0)
            ordy = 1 if out_ready is None else int(out_ready[t % len(out_ready)])
            ctx.set(pe.out_ready, ordy)
            meta_take = mi < len(groups) and ctx.get(pe.meta_ready)
            data_take = bi < len(beat_list) and ctx.get(pe.ready)
            if bi < len(beat_list) and not data_take:
                stats["stalls"] += 1
            if ctx.get(pe.out_valid) and ordy:
                exp = ctx.get(pe.out_exp) if narrow else 0
                results.append((ctx.get(pe.out_man), exp, ctx.get(pe.out_flags)))
            await ctx.tick()
            mi += bool(meta_take)
            bi += bool(data_take)
            t += 1
        stats["cycles"] = t

    sim = Simulator(pe)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return PERun(results=results, cycles=stats["cycles"], stall_cycles=stats["stalls"])
