"""cocotb test: stream array groups through a BitMoD PE array and record every drained row.

Runs inside the simulator (started by :mod:`hwgen.sim.runner`). The design facts come from
its ``manifest.json`` (port widths and roles through the harness; ``dot``,
``beats_per_group``, ``weight_code_bits`` and the array shape from the ``bitmod`` and
``array`` sections); the groups come from the job. Protocol (``docs/hardware.md``,
"BitMoD PE array"): reset, write the special-value register, then run the metadata stream
(one beat per array group: C datatype codes, selectors, scales) and the data stream
(``beats_per_group`` beats per array group: R x dot activations, C x dot weight codes) as
two independent valid/ready streams; a row is taken on ``out_valid & out_ready``.
Scoring happens afterwards in the controller (:mod:`hwgen.sim.bench_bitmod_array`).
"""

from __future__ import annotations

import time
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly, RisingEdge

from hwgen.emit.manifest import Manifest
from hwgen.sim.drivers import BusMonitor, read_unsigned
from hwgen.sim.job import Job
from hwgen.sim.packing import pack_lanes

_RESET_CYCLES = 2


def _sv_field(value: int, mag_bits: int) -> int:
    """A special value as its sign-magnitude register field."""
    return (int(value < 0) << mag_bits) | abs(int(value))


@cocotb.test()
async def bitmod_array(dut: Any) -> None:
    """Reset, write the special values, stream metadata and data beats, collect rows."""
    job = Job.from_env()
    man = Manifest.load(job.design_dir)
    assert man.bitmod is not None and man.array is not None, "needs a bitmod_array manifest"
    stim = job.load_stimulus()
    facts = man.bitmod
    dot, beats_per_group = int(facts["dot"]), int(facts["beats_per_group"])
    code_bits = int(facts["weight_code_bits"])
    rows, cols = man.array.rows, man.array.cols
    a_bits = man.port("a").element_width
    groups = int(stim["dtype"].shape[0])
    # Beat b of group t: a element i*dot + l = row i lane l; w element j*dot + l.
    a = stim["a"].reshape(groups, rows, beats_per_group, dot).transpose(0, 2, 1, 3)
    w = stim["w"].reshape(groups, cols, beats_per_group, dot).transpose(0, 2, 1, 3)
    nbeats = groups * beats_per_group
    a_rows = pack_lanes(a.reshape(nbeats, rows * dot), width=a_bits)
    w_rows = pack_lanes(w.reshape(nbeats, cols * dot), width=code_bits)
    dt_rows = pack_lanes(stim["dtype"], width=man.port("dtype").element_width)
    sel_rows = pack_lanes(stim["sel"], width=man.port("selector").element_width)
    scale_rows = pack_lanes(stim["scale"], width=man.port("scale").element_width)
    o_pattern = [int(x) for x in stim["out_ready"]]
    v_pattern = [int(x) for x in stim["valid"]]
    sv_mag_bits = man.port("sv_data").width - 1

    out_roles = [r for r in ("out_row", "out_man", "out_exp", "out_flags") if man.has_role(r)]
    widths = {r: man.port(r).width for r in out_roles}
    monitor = BusMonitor({r: getattr(dut, r) for r in out_roles}, widths)

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
    want_rows = groups * rows
    mi = bi = got = 0
    t = 0
    first_beat_t = last_beat_t = -1
    t0 = time.perf_counter()
    while t < job.timeout_cycles:
        if mi < groups:
            dut.meta_valid.value = 1
            dut.dtype.value = dt_rows[mi]
            dut.selector.value = sel_rows[mi]
            dut.scale.value = scale_rows[mi]
        else:
            dut.meta_valid.value = 0
        offer = bi < nbeats and v_pattern[t % len(v_pattern)]
        if offer:
            dut.valid.value = 1
            dut.w.value = w_rows[bi]
            dut.a.value = a_rows[bi]
        else:
            dut.valid.value = 0
        oready = o_pattern[t % len(o_pattern)]
        dut.out_ready.value = oready
        await settle
        meta_take = mi < groups and read_unsigned(dut.meta_ready, "meta_ready", t)
        data_take = offer and read_unsigned(dut.ready, "ready", t)
        if read_unsigned(dut.out_valid, "out_valid", t) and oready:
            monitor.sample(t)
            got += 1
        if data_take:
            if first_beat_t < 0:
                first_beat_t = t
            last_beat_t = t
        mi += bool(meta_take)
        bi += bool(data_take)
        t += 1
        if bi >= nbeats and got >= want_rows:
            break
        await edge
    loop_seconds = time.perf_counter() - t0
    arrays: dict[str, Any] = dict(monitor.to_arrays())
    arrays["results"] = np.asarray(got)
    arrays["clocks"] = np.asarray(t)
    arrays["stream_clocks"] = np.asarray(last_beat_t - first_beat_t + 1)
    arrays["loop_seconds"] = np.asarray(loop_seconds)
    np.savez(job.capture, **arrays)
