"""cocotb test: drive a MAC lane harness with a pre-generated stimulus and record its outputs.

Runs inside the simulator (started by :mod:`hwgen.sim.runner`). Everything about the design comes
from its ``manifest.json`` (port roles and widths via the harness, latency, output latency);
the stimulus comes from the job (:mod:`hwgen.sim.job`). Checking happens afterwards in the
controller (:mod:`hwgen.sim.scoreboard`), so this loop only moves bus integers.
"""

from __future__ import annotations

import time
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

from hwgen.emit.manifest import Manifest
from hwgen.sim.drivers import BusDriver, BusMonitor, mac_rows
from hwgen.sim.job import Job

_RESET_CYCLES = 2


@cocotb.test()
async def mac_lanes(dut: Any) -> None:
    """Reset, stream every stimulus row (one per clock), sample outputs each clock."""
    job = Job.from_env()
    man = Manifest.load(job.design_dir)
    stim = job.load_stimulus()
    lanes = job.lanes
    in_roles = ("a", "w", "valid", "clear")
    out_roles = tuple(r for r in ("acc", "flags", "out") if any(p.role == r for p in man.ports))
    lane_widths = {r: man.port(r).width for r in (*in_roles, *out_roles)}
    widths = {r: w * lanes for r, w in lane_widths.items()}
    driver = BusDriver(
        {r: getattr(dut, r) for r in in_roles},
        mac_rows(stim, lane_widths),
        dict.fromkeys(in_roles, 0),
    )
    monitor = BusMonitor({r: getattr(dut, r) for r in out_roles}, widths)
    out_latency = man.output.latency if man.output is not None else 0
    clocks = driver.length + man.latency + out_latency

    Clock(dut.clk, 10, unit="ns").start()
    driver.idle()
    dut.rst.value = 1
    for _ in range(_RESET_CYCLES):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    edge = FallingEdge(dut.clk)
    t0, c0 = time.perf_counter(), time.process_time()
    for t in range(clocks):
        monitor.sample(t)
        driver.apply(t)
        await edge
    loop_seconds, loop_cpu = time.perf_counter() - t0, time.process_time() - c0
    arrays = {
        "loop_seconds": np.asarray(loop_seconds),
        "loop_cpu_seconds": np.asarray(loop_cpu),
        **monitor.to_arrays(),
    }
    np.savez(job.capture, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as bool
