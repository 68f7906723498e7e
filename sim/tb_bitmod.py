"""cocotb test: stream BitMoD PE groups through a lane harness and record every result.

Runs inside the simulator (started by :mod:`hwgen.sim.runner`). The design facts come from
its ``manifest.json`` (port widths and roles through the harness, ``dot``, group size and
weight-code width from the ``bitmod`` section); the groups come from the job. Protocol
(``docs/bitmod.md``): the special-value register is written first, then the metadata
stream (one beat per group) and the data stream (``beats_per_group`` beats per group) run
as two independent valid/ready streams; a result is taken on ``out_valid & out_ready``.
Scoring happens afterwards in the controller (:mod:`hwgen.sim.bench_bitmod`).
"""

from __future__ import annotations

import time
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError
from hwgen.sim.drivers import BusMonitor, read_unsigned
from hwgen.sim.job import Job
from hwgen.sim.packing import pack_lanes

_RESET_CYCLES = 2


def _sv_field(value: int, mag_bits: int) -> int:
    """A special value as its sign-magnitude register field."""
    return (int(value < 0) << mag_bits) | abs(int(value))


@cocotb.test()
async def bitmod_lanes(dut: Any) -> None:
    """Reset, write the special values, stream metadata and data beats, collect results."""
    job = Job.from_env()
    man = Manifest.load(job.design_dir)
    assert man.bitmod is not None, "the BitMoD bench needs a bitmod_pe manifest"
    stim = job.load_stimulus()
    lanes = job.lanes
    facts = man.bitmod
    dot, beats_per_group = int(facts["dot"]), int(facts["beats_per_group"])
    code_bits = int(facts["weight_code_bits"])
    a_bits = man.port("a").element_width
    groups = int(stim["dtype"].size)
    # Beat b of group g on lane l: elements b*dot .. b*dot+dot-1, lane-major bus.
    w = stim["w"].reshape(groups, lanes, beats_per_group, dot).transpose(0, 2, 1, 3)
    a = stim["a"].reshape(groups, lanes, beats_per_group, dot).transpose(0, 2, 1, 3)
    nbeats = groups * beats_per_group
    w_rows = pack_lanes(w.reshape(nbeats, lanes * dot), width=code_bits)
    a_rows = pack_lanes(a.reshape(nbeats, lanes * dot), width=a_bits)
    sel_bits, scale_bits = man.port("selector").width, man.port("scale").width
    sel_rows = pack_lanes(stim["sel"].reshape(groups, lanes), width=sel_bits)
    scale_rows = pack_lanes(stim["scale"].reshape(groups, lanes), width=scale_bits)
    dtypes = [int(x) for x in stim["dtype"]]
    pattern = [int(x) for x in stim["out_ready"]]
    sv_mag_bits = man.port("sv_data").width - 1

    out_roles = [r for r in ("out_man", "out_exp", "out_flags") if man.has_role(r)]
    widths = {r: man.port(r).width * lanes for r in out_roles}
    monitor = BusMonitor({r: getattr(dut, r) for r in out_roles}, widths)
    check_agree = lanes > 1

    Clock(dut.clk, 10, unit="ns").start()
    for name in ("meta_valid", "valid", "out_ready", "sv_we", "sv_addr", "sv_data"):
        getattr(dut, name).value = 0
    for name in ("dtype", "selector", "scale", "w", "a"):
        getattr(dut, name).value = 0
    dut.rst.value = 1
    for _ in range(_RESET_CYCLES):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    for addr, value in enumerate(int(v) for v in stim["specials"]):
        dut.sv_we.value = 1
        dut.sv_addr.value = addr
        dut.sv_data.value = _sv_field(value, sv_mag_bits)
        await FallingEdge(dut.clk)
    dut.sv_we.value = 0

    edge, settle = FallingEdge(dut.clk), ReadOnly()
    mi = bi = got = 0
    t = 0
    disagree_at = -1
    first_beat_t = last_beat_t = -1
    t0 = time.perf_counter()
    while t < job.timeout_cycles:
        if mi < groups:
            dut.meta_valid.value = 1
            dut.dtype.value = dtypes[mi]
            dut.selector.value = sel_rows[mi]
            dut.scale.value = scale_rows[mi]
        else:
            dut.meta_valid.value = 0
        if bi < nbeats:
            dut.valid.value = 1
            dut.w.value = w_rows[bi]
            dut.a.value = a_rows[bi]
        else:
            dut.valid.value = 0
        oready = pattern[t % len(pattern)]
        dut.out_ready.value = oready
        await settle
        meta_take = mi < groups and read_unsigned(dut.meta_ready, "meta_ready", t)
        data_take = bi < nbeats and read_unsigned(dut.ready, "ready", t)
        if read_unsigned(dut.out_valid, "out_valid", t) and oready:
            monitor.sample(t)
            got += 1
        if check_agree and disagree_at < 0 and not read_unsigned(dut.lanes_agree, "agree", t):
            disagree_at = t
        if data_take:
            if first_beat_t < 0:
                first_beat_t = t
            last_beat_t = t
        mi += bool(meta_take)
        bi += bool(data_take)
        t += 1
        if bi >= nbeats and got >= groups:
            break
        await edge
    loop_seconds = time.perf_counter() - t0
    if disagree_at >= 0:
        raise HwgenError(f"BitMoD lanes disagreed on ready/out_valid at clock {disagree_at}")
    arrays: dict[str, Any] = dict(monitor.to_arrays())
    arrays["results"] = np.asarray(got)
    arrays["clocks"] = np.asarray(t)
    arrays["stream_clocks"] = np.asarray(last_beat_t - first_beat_t + 1)
    arrays["loop_seconds"] = np.asarray(loop_seconds)
    np.savez(job.capture, **arrays)
