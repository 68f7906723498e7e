"""cocotb test: drive a mapped MAC netlist with an operand stream (energy simulation).

Runs inside the simulator, started by :mod:`hwgen.costmodel.energy`. The stream file
(``HWGEN_ENERGY_STREAM``, an ``.npz`` with integer arrays ``a``, ``w``, ``valid``,
``clear``) holds one row per clock. After a reset of :data:`RESET_CYCLES` clocks, inputs
change right after each falling clock edge (like every hwgen bench) and the design's
registers sample them at the next rising edge; the waveform records every net's changes.
"""

from __future__ import annotations

import os
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, RisingEdge

STREAM_ENV = "HWGEN_ENERGY_STREAM"
RESET_CYCLES = 2
PERIOD_NS = 10


@cocotb.test()
async def energy_stream(dut: Any) -> None:
    """Reset, then apply one stream row per clock."""
    with np.load(os.environ[STREAM_ENV]) as z:
        rows = {k: [int(v) for v in z[k]] for k in ("a", "w", "valid", "clear")}
    handles = {k: getattr(dut, k) for k in rows}
    Clock(dut.clk, PERIOD_NS, unit="ns").start()
    for h in handles.values():
        h.value = 0
    dut.rst.value = 1
    for _ in range(RESET_CYCLES):
        await RisingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    edge = FallingEdge(dut.clk)
    for t in range(len(rows["a"])):
        for k, h in handles.items():
            h.value = rows[k][t]
        await edge
    for h in handles.values():
        h.value = 0
    await RisingEdge(dut.clk)
