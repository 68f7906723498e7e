"""Whole MACs with float and fixed-point accumulators, as area ratios to the INT8 MAC.

Every design is a complete ``MacConfig(...).create()`` unit (decoders, multiplier,
accumulator, register; unpipelined), synthesized in this run with the Yosys flows of
:mod:`hwgen.costmodel.synth`: generic gates (``synth; abc -g cmos2``: cells and Yosys' CMOS
transistor estimate) and Xilinx 7-series without DSPs (LUTs, CARRY4). Each figure is
followed by its ratio to INT8 x INT8 with the exact accumulator, measured in the same run.

The last column is the published figure the ratio is read against
(``shared/reference/cost-anchors.md``): van Baalen et al. 2023 put FP8 compute 1.5-2.8x
INT8; a Yosys transistor experiment gave E4M3 -> FP32 acc 1.66x and E4M3 exact 1.00x;
BitMoD's FP16 MAC is 1733.5 um2 vs its 1221.6 um2 PE (28 nm). Run::

    python bench/bench_float_mac.py      # ~2-4 min
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hwgen.costmodel.synth import SynthTarget, synthesize
from hwgen.design.mac import MacConfig
from hwgen.emit import to_verilog

REFERENCE = ("INT8xINT8/exact", MacConfig(a_format="int8", w_format="int8"), "1.00 (ref)")
ROWS = (
    (
        "E4M3xE4M3/FP32-acc",
        MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", acc_format="fp32"),
        "1.5-2.8x (van Baalen); 1.66x transistors",
    ),
    (
        "E4M3xE4M3/exact",
        MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3"),
        "1.00x transistors (45-bit acc)",
    ),
    (
        "FP16xFP16/FP16-acc unfused",
        MacConfig(a_format="fp16", w_format="fp16", acc_format="fp16", acc_rounding="unfused"),
        "BitMoD baseline: 1733.5 um2 (no INT8 ratio published)",
    ),
    (
        "FP16xINT8/FP16-acc",
        MacConfig(a_format="fp16", w_format="int8", acc_format="fp16"),
        "ANT/OliVe PE (no ratio published)",
    ),
)
COLS = ("cells", "transistors", "luts", "carry4")


def _measure(cfg: MacConfig, tmp: Path) -> dict[str, float]:
    path = tmp / f"{cfg.name}.v"
    path.write_text(to_verilog(cfg.create(), top=cfg.name))
    gen = synthesize([path], cfg.name, SynthTarget.GENERIC)
    xil = synthesize([path], cfg.name, SynthTarget.XILINX, dsp=False)
    return {
        "cells": gen.num_cells,
        "transistors": gen.transistors or 0,
        "luts": xil.luts or 0,
        "carry4": xil.carries or 0,
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-float-mac-") as tmpdir:
        tmp = Path(tmpdir)
        ref = _measure(REFERENCE[1], tmp)
        print(f"{'design':28s} " + " ".join(f"{c:>17s}" for c in COLS) + "  published")
        for label, cfg, published in (REFERENCE, *ROWS):
            vals = ref if cfg is REFERENCE[1] else _measure(cfg, tmp)
            cells = " ".join(
                f"{f'{vals[c]:.0f} ({vals[c] / ref[c]:.2f}x)' if ref[c] else vals[c]:>17}"
                for c in COLS
            )
            print(f"{label:28s} {cells}  {published}", flush=True)
        print("ratios: to INT8 x INT8 with the exact 28-bit accumulator, same run, unpipelined.")


if __name__ == "__main__":
    main()
