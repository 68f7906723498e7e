"""BitMoD PE array hardware (Amaranth simulator): results, cadence, back-pressure, lint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from amaranth.sim import Simulator

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.bitmod_array import BitmodArrayConfig
from hwgen.errors import HwgenError
from hwgen.formats import get_format
from hwgen.golden.bitmod import WeightType
from hwgen.golden.bitmod.array import ArrayGroups, array_group_results
from hwgen.rtl.bitmod.array import BitmodArray

_CFG = BitmodArrayConfig(pe=BitmodPEConfig(dot=1, group_size=8, mode="narrow"), rows=2, cols=2)


@dataclass(frozen=True)
class _Run:
    rows: list[tuple[int, list[int], list[int], list[int]]]  # (out_row, man, exp, flags)
    ready_at: list[int]  # cycles a beat was taken
    refused_last: int  # cycles a last beat was offered and refused
    out_at: list[int]  # cycles a row was taken


def _run(cfg: BitmodArrayConfig, g: ArrayGroups, out_ready: list[int]) -> _Run:
    pe = cfg.pe
    dut = cfg.create()
    r, c, d, beats = cfg.rows, cfg.cols, pe.dot, pe.beats_per_group
    ab, mb, eb = pe.act_bits, pe.out_man_bits, pe.out_exp_bits
    t_groups = g.dtype.shape[0]
    beat_list = []
    for t in range(t_groups):
        for b in range(beats):
            a = sum(int(g.a[t, i, b * d + lane]) << (ab * (i * d + lane))
                    for i in range(r) for lane in range(d))  # fmt: skip
            w = sum(int(g.w[t, j, b * d + lane]) << (8 * (j * d + lane))
                    for j in range(c) for lane in range(d))  # fmt: skip
            beat_list.append((a, w, b == beats - 1))
    rows: list[tuple[int, list[int], list[int], list[int]]] = []
    ready_at: list[int] = []
    out_at: list[int] = []
    stats = {"refused": 0}

    def field(v: int, j: int, bits: int, signed: bool = False) -> int:
        x = (v >> (j * bits)) & ((1 << bits) - 1)
        return x - (1 << bits) if signed and x >> (bits - 1) else x

    async def bench(ctx) -> None:
        mi = bi = t = 0
        while len(rows) < t_groups * r:
            assert t < 20_000, "array made no progress"
            if mi < t_groups:
                ctx.set(dut.meta_valid, 1)
                ctx.set(dut.meta_dtype, sum(int(x) << (3 * j) for j, x in enumerate(g.dtype[mi])))
                ctx.set(dut.meta_sel, sum(int(x) << (2 * j) for j, x in enumerate(g.sel[mi])))
                ctx.set(dut.meta_scale, sum(int(x) << (8 * j) for j, x in enumerate(g.scale[mi])))
            else:
                ctx.set(dut.meta_valid, 0)
            if bi < len(beat_list):
                ctx.set(dut.valid, 1)
                ctx.set(dut.a, beat_list[bi][0])
                ctx.set(dut.w, beat_list[bi][1])
            else:
                ctx.set(dut.valid, 0)
            ordy = out_ready[t % len(out_ready)]
            ctx.set(dut.out_ready, ordy)
            meta_take = mi < t_groups and ctx.get(dut.meta_ready)
            take = bi < len(beat_list) and ctx.get(dut.ready)
            if take:
                ready_at.append(t)
            elif bi < len(beat_list) and beat_list[bi][2] and ctx.get(dut.ready) == 0:
                stats["refused"] += 1
            if ctx.get(dut.out_valid) and ordy:
                out_at.append(t)
                man, exp, fl = ctx.get(dut.out_man), ctx.get(dut.out_exp), ctx.get(dut.out_flags)
                rows.append(
                    (
                        ctx.get(dut.out_row),
                        [field(man, j, mb, True) for j in range(c)],
                        [field(exp, j, eb) for j in range(c)],
                        [field(fl, j, 4) for j in range(c)],
                    )
                )
            await ctx.tick()
            mi += bool(meta_take)
            bi += bool(take)
            t += 1

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return _Run(rows=rows, ready_at=ready_at, refused_last=stats["refused"], out_at=out_at)


def _groups(rng: np.random.Generator, dtypes: list[list[int]]) -> ArrayGroups:
    dt = np.asarray(dtypes)
    t, c = dt.shape
    gs = _CFG.pe.group_size
    w = np.stack(
        [[rng.integers(0, 1 << WeightType.from_code(int(x)).bits, size=gs) for x in row]
         for row in dt]
    )  # fmt: skip
    return ArrayGroups(
        a=get_format("fp16").encode(rng.standard_normal((t, _CFG.rows, gs))).astype(np.int64),
        w=w,
        dtype=dt,
        sel=rng.integers(0, 4, size=(t, c)),
        scale=rng.integers(0, 256, size=(t, c)),
    )


def _expected(g: ArrayGroups) -> list[tuple[int, list[int], list[int], list[int]]]:
    res = array_group_results(_CFG.pe, g)
    out = []
    for t in range(g.dtype.shape[0]):
        for i in range(_CFG.rows):
            out.append(
                (
                    i,
                    [int(x) for x in res.man[t, i]],
                    [int(x) for x in res.exp[t, i]],
                    [int(x) for x in res.flags[t, i]],
                )
            )
    return out


def test_slowest_column_sets_the_cadence_and_results_match() -> None:
    i8, i6, f4 = (WeightType(x).code for x in ("int8", "int6", "fp4"))
    dts = [[f4, f4], [i8, f4], [f4, i6], [i6, i6]]
    g = _groups(np.random.default_rng(1), dts)
    run = _run(_CFG, g, [1])
    assert run.rows == _expected(g)
    # With out_ready high the stream never stalls: beat k+1 comes `cadence` cycles after k.
    gaps = np.diff(run.ready_at)
    want = []
    for row in dts:
        want += [_CFG.cadence(row)] * _CFG.pe.beats_per_group
    assert list(gaps) == want[:-1]


def test_group_latency_matches_the_manifest_facts() -> None:
    facts = _CFG.array_facts()["group_latency"]
    for name in ("int8", "fp4"):
        code = WeightType(name).code
        g = _groups(np.random.default_rng(3), [[code, code]])
        run = _run(_CFG, g, [1])
        assert run.rows == _expected(g)
        # Edges from the edge taking the last beat to the first row offered.
        assert run.out_at[0] - run.ready_at[-1] == facts[name]
        assert facts[name] <= _CFG.latency


def test_backpressure_loses_nothing_and_bounds_groups_in_flight() -> None:
    f4 = WeightType.FP4.code
    g = _groups(np.random.default_rng(2), [[f4, f4]] * 5)
    run = _run(_CFG, g, [1] + [0] * 60)  # one row taken per 61 cycles
    assert run.rows == _expected(g)
    # The last beat of a third undrained group waits (longer than the cadence) for the drain.
    assert run.refused_last > 0 and np.diff(run.ready_at).max() > 2 * _CFG.pe.min_cycles


@pytest.mark.filterwarnings("ignore:.*created but never used")
def test_rejects_bad_config() -> None:
    with pytest.raises(HwgenError, match="config must be a BitmodArrayConfig, not dict"):
        BitmodArray(config={})  # type: ignore[arg-type]


_LINT_CFG = BitmodArrayConfig(pe=BitmodPEConfig(dot=1, group_size=8, mode="narrow"), rows=1, cols=2)


def _verilog(tmp_path):
    from hwgen.emit import to_verilog

    cfg = _LINT_CFG
    path = tmp_path / f"{cfg.name}.v"
    text = to_verilog(cfg.create(), top=cfg.name)
    path.write_text(text)
    return path, text


def test_lint_clean_and_deterministic(tmp_path) -> None:
    from hwgen.emit import to_verilog
    from hwgen.tools.lint import verilator_lint

    path, text = _verilog(tmp_path)
    assert text == to_verilog(_LINT_CFG.create(), top=_LINT_CFG.name)
    assert verilator_lint([path], _LINT_CFG.name).warnings == []


@pytest.mark.slow
def test_synthesizes_and_exact_mode_lint_clean(tmp_path) -> None:
    from hwgen.costmodel.synth import SynthTarget, synthesize
    from hwgen.emit import to_verilog
    from hwgen.tools.lint import verilator_lint

    path, _ = _verilog(tmp_path)
    res = synthesize([path], _LINT_CFG.name, SynthTarget.GENERIC)
    assert res.transistors and res.ffs > 2 * 100
    exact = BitmodArrayConfig(pe=BitmodPEConfig(dot=2, group_size=16), rows=2, cols=1)
    epath = tmp_path / f"{exact.name}.v"
    epath.write_text(to_verilog(exact.create(), top=exact.name))
    assert verilator_lint([epath], exact.name).warnings == []
