"""cocotb test: stream GEMM tiles into a PE-array lane harness and collect the result rows.

Runs inside the simulator (started by :mod:`hwgen.sim.runner`). Port roles and widths come from
the manifest (through the harness), the beats from the job. The driver keeps the
valid/ready protocol: a beat is held until accepted. ``ready`` and the output handshake may
depend combinationally on this cycle's control inputs (the array's ``ready`` depends on
``last``), so whenever ``valid``/``last``/``out_ready`` change the outputs are re-read in
the read-only phase after the write; otherwise the values sampled at the falling edge are
already the ones the next rising edge sees (data inputs never steer the handshake).
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
from hwgen.sim.drivers import BusDriver, BusMonitor, read_unsigned
from hwgen.sim.job import Job
from hwgen.sim.packing import pack_lanes

_RESET_CYCLES = 2


@cocotb.test()
async def array_lanes(dut: Any) -> None:
    """Reset, stream every beat under valid/ready, collect rows under out_valid/out_ready."""
    job = Job.from_env()
    man = Manifest.load(job.design_dir)
    stim = job.load_stimulus()
    lanes = job.lanes
    a_bits, w_bits = man.port("a").width, man.port("w").width
    assert man.array is not None, "an array bench needs an array manifest"
    rows, cols = man.array.rows, man.array.cols
    beats = int(stim["last"].size)
    a_rows = pack_lanes(stim["a"].reshape(beats, -1), width=a_bits // rows)
    w_rows = pack_lanes(stim["w"].reshape(beats, -1), width=w_bits // cols)
    last = [int(x) for x in stim["last"]]
    gap = [int(x) for x in stim["gap"]]
    pattern = [int(x) for x in stim["out_ready"]]
    stress_from = int(stim["stress_from"])

    data_roles = [r for r in ("out_data", "out_flags") if any(p.role == r for p in man.ports)]
    widths = {r: man.port(r).width * lanes for r in data_roles}
    widths["out_row"] = man.port("out_row").width
    collected = BusMonitor({r: getattr(dut, r) for r in ("out_row", *data_roles)}, widths)
    ctrl_handles = (dut.valid, dut.last, dut.out_ready)
    data_in = BusDriver({"a": dut.a, "w": dut.w}, {"a": a_rows, "w": w_rows}, {"a": 0, "w": 0})
    check_agree = lanes > 1

    Clock(dut.clk, 10, unit="ns").start()
    data_in.idle()
    for h in ctrl_handles:
        h.value = 0
    dut.rst.value = 1
    for _ in range(_RESET_CYCLES):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0

    edge, settle = FallingEdge(dut.clk), ReadOnly()
    beat, wait, prev = 0, gap[0] if beats else 0, (0, 0, 0)
    ready_h, ovalid_h, agree_h = dut.ready, dut.out_valid, getattr(dut, "lanes_agree", None)
    want_rows = int(np.count_nonzero(stim["last"])) * rows
    got_rows = 0
    t = 0
    disagree_at = -1
    t0, c0 = time.perf_counter(), time.process_time()
    while t < job.timeout_cycles:
        ready = read_unsigned(ready_h, "ready", t)
        ovalid = read_unsigned(ovalid_h, "out_valid", t)
        if beat < beats and wait == 0:
            data_in.apply(beat)
            cur = (1, last[beat])
        else:
            cur = (0, 0)
        oready = pattern[t % len(pattern)] if beat >= stress_from else 1
        now = (*cur, oready)
        if now != prev:
            for h, v, p in zip(ctrl_handles, now, prev, strict=True):
                if v != p:
                    h.value = v
            await settle
            ready = read_unsigned(ready_h, "ready", t)
            ovalid = read_unsigned(ovalid_h, "out_valid", t)
            prev = now
        if check_agree and disagree_at < 0 and not read_unsigned(agree_h, "lanes_agree", t):
            disagree_at = t
        if ovalid and oready:
            collected.sample(t)
            got_rows += 1
        if cur[0] and ready:
            beat += 1
            wait = gap[beat] if beat < beats else 0
        elif not cur[0] and wait:
            wait -= 1
        t += 1
        if beat >= beats and got_rows >= want_rows:
            break
        await edge
    loop_seconds, loop_cpu = time.perf_counter() - t0, time.process_time() - c0
    if disagree_at >= 0:
        raise HwgenError(f"array lanes disagreed on ready/out_valid/out_row at clock {disagree_at}")
    arrays = collected.to_arrays()
    arrays["out_row"] = np.asarray(collected.samples["out_row"], dtype=np.int64)
    arrays["beats_accepted"] = np.asarray(beat)
    arrays["clocks"] = np.asarray(t)
    arrays["loop_seconds"] = np.asarray(loop_seconds)
    arrays["loop_cpu_seconds"] = np.asarray(loop_cpu)
    np.savez(job.capture, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as bool
