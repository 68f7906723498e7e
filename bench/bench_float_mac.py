"""MACs and PE arrays with float and fixed-point accumulators, as area ratios to INT8.

Every design is a complete unit (``MacConfig(...).create()``: decoders, multiplier,
accumulator, register; ``ArrayConfig(...).create()``: R x C such MACs, the skew and
control delay lines and the output double buffer), unpipelined, synthesized in this run
with the Yosys flows of :mod:`hwgen.costmodel.synth`: generic gates (``synth; abc -g
cmos2``: cells and Yosys' CMOS transistor estimate) and Xilinx 7-series without DSPs
(LUTs, CARRY4). MAC rows are followed by their ratio to the INT8 x INT8 MAC with the exact
accumulator, array rows by their ratio to the INT8 x INT8 array of the same shape, both
measured in the same run.

The last column is the published figure the ratio is read against
(``shared/reference/cost-anchors.md``): van Baalen et al. 2023 put FP8 compute 1.5-2.8x
INT8 ("50-180% less efficient") with FP32 accumulation; a Yosys transistor experiment gave
E4M3 -> FP32 acc 1.66x and E4M3 exact 1.00x; BitMoD's FP16 MAC is 1733.5 um2 (28 nm, no
INT8 figure published); Horowitz's 45 nm table (Dally's areas, weaker provenance) gives
an FP16 multiply + add 3000 um2 against an 8-bit multiply + 32-bit add 419 um2, 7.2x.
Run::

    python bench/bench_float_mac.py              # MACs and the 4x4 arrays, ~40-60 min
    python bench/bench_float_mac.py --array 2x2  # smaller arrays, ~10 min
    python bench/bench_float_mac.py --no-array   # the MACs alone, ~2-4 min
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from hwgen.costmodel.synth import SynthTarget, synthesize
from hwgen.design.array import ArrayConfig
from hwgen.design.base import DesignConfig
from hwgen.design.mac import MacConfig
from hwgen.emit import to_verilog

INT8 = MacConfig(a_format="int8", w_format="int8")
E4M3_FP32 = MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", acc_format="fp32")

REFERENCE = ("INT8xINT8/exact", INT8, "1.00 (ref)")
ROWS = (
    ("E4M3xE4M3/FP32-acc", E4M3_FP32, "1.5-2.8x (van Baalen); 1.66x transistors"),
    (
        "E4M3xE4M3/exact",
        MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3"),
        "1.00x transistors (45-bit acc)",
    ),
    (
        "FP16xFP16/FP16-acc unfused",
        MacConfig(a_format="fp16", w_format="fp16", acc_format="fp16", acc_rounding="unfused"),
        "BitMoD baseline 1733.5 um2; 7.2x (Horowitz 45 nm)",
    ),
    (
        "FP16xINT8/FP16-acc",
        MacConfig(a_format="fp16", w_format="int8", acc_format="fp16"),
        "ANT/OliVe PE (no ratio published)",
    ),
)


def _array_rows(
    rows: int, cols: int
) -> tuple[tuple[str, DesignConfig, str], tuple[tuple[str, DesignConfig, str], ...]]:
    """The INT8 array reference and the E4M3 / FP32-accumulator array of one shape."""
    shape = f"{rows}x{cols} array"
    return (
        (f"{shape} INT8/exact", ArrayConfig(mac=INT8, rows=rows, cols=cols), "1.00 (ref)"),
        (
            (
                f"{shape} E4M3/FP32-acc",
                ArrayConfig(mac=E4M3_FP32, rows=rows, cols=cols),
                "1.5-2.8x (van Baalen, per MAC)",
            ),
        ),
    )


SYNTH_TIMEOUT_S = 4 * 3600
"""Per Yosys run. The Xilinx flow of the 4x4 E4M3 / FP32-accumulator array took 1706 s
(load ~20 on 2 cores), 81 % of it in one ``abc9`` call: ``synth_xilinx -flatten`` hands
ABC9 the whole flattened array, 44k AND gates with 13.5k outputs (16 float adders with
their shifters and leading-zero counters), and its LUT mapping does not finish within the
library's 900 s default. The emitted Verilog is one flat module already, so ``-noflatten``
changes nothing; the bench keeps the flow of the other rows and allows the time."""
COLS = ("cells", "transistors", "luts", "carry4")


def _measure(cfg: DesignConfig, tmp: Path) -> dict[str, float]:
    path = tmp / f"{cfg.name}.v"
    path.write_text(to_verilog(cfg.create(), top=cfg.name))
    gen = synthesize([path], cfg.name, SynthTarget.GENERIC, timeout_s=SYNTH_TIMEOUT_S)
    xil = synthesize([path], cfg.name, SynthTarget.XILINX, dsp=False, timeout_s=SYNTH_TIMEOUT_S)
    return {
        "cells": gen.num_cells,
        "transistors": gen.transistors or 0,
        "luts": xil.luts or 0,
        "carry4": xil.carries or 0,
    }


def _table(
    reference: tuple[str, DesignConfig, str],
    rows: tuple[tuple[str, DesignConfig, str], ...],
    tmp: Path,
) -> None:
    ref = _measure(reference[1], tmp)
    for label, cfg, published in (reference, *rows):
        vals = ref if cfg is reference[1] else _measure(cfg, tmp)
        cells = " ".join(
            f"{f'{vals[c]:.0f} ({vals[c] / ref[c]:.2f}x)' if ref[c] else vals[c]:>17}" for c in COLS
        )
        print(f"{label:28s} {cells}  {published}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-array", action="store_true", help="Skip the array rows.")
    parser.add_argument("--no-mac", action="store_true", help="Skip the MAC rows.")
    parser.add_argument("--array", default="4x4", help="Array shape RxC [4x4].")
    args = parser.parse_args()
    rows, _, cols = args.array.partition("x")
    array_ref, array_rows = _array_rows(int(rows), int(cols))
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-float-mac-") as tmpdir:
        tmp = Path(tmpdir)
        print(f"{'design':28s} " + " ".join(f"{c:>17s}" for c in COLS) + "  published")
        if not args.no_mac:
            _table(REFERENCE, ROWS, tmp)
        if not args.no_array:
            _table(array_ref, array_rows, tmp)
        print(
            "ratios: MACs to INT8 x INT8 with the exact 28-bit accumulator, arrays to the"
            " INT8 array of the same shape; same run, unpipelined."
        )


if __name__ == "__main__":
    main()
