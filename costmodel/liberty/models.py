"""Verilog simulation models of a Liberty library's cells, derived by Yosys.

For a library without hand-written models, :func:`write_cell_models` asks Yosys to read
the cells' ``function`` and ``ff`` groups (``read_liberty``) and write them as Verilog
modules (``write_verilog``): zero-delay models with the library's own pin names, usable as
``hwgen cost --cell-models FILE``. Cells Yosys cannot model (no function, tri-state,
latches with unusual data pins) are skipped, so a netlist using one fails to build with
Verilator's message naming the missing module. hwgen's embedded library ships its own
hand-written models (:data:`hwgen.costmodel.liberty.EMBEDDED_CELL_MODELS`).
"""

from __future__ import annotations

import gzip
from pathlib import Path

from hwgen.costmodel.synth import run_yosys
from hwgen.tools.scratch import scratch_dir

__all__ = ["write_cell_models"]


def write_cell_models(liberty: str | Path, out: str | Path) -> Path:
    """Write Verilog models of every cell of ``liberty`` (plain or ``.gz``) to ``out``."""
    data = Path(liberty).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    with scratch_dir("cell-models") as work:
        (Path(work) / "cells.lib").write_bytes(data)
        # run_yosys wants one Verilog source to read; an empty module file serves.
        stub = Path(work) / "stub_src"
        stub.mkdir()
        (stub / "hwgen_empty.v").write_text("module hwgen_empty; endmodule\n")
        run = run_yosys(
            [stub / "hwgen_empty.v"],
            [
                "design -reset",
                "read_liberty -ignore_miss_func -ignore_miss_dir -ignore_miss_data_latch cells.lib",
                "write_verilog -noattr models.v",
            ],
            outputs=("models.v",),
            label=f"yosys cell models of {Path(liberty).name}",
            workdir=work,
        )
    target = Path(out)
    target.write_text(run.outputs["models.v"], encoding="utf-8")
    return target
