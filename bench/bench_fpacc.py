"""Area and delay of the float accumulator alone, against the INT8 MAC measured in the same run.

For fp32 / fp16 / bf16 accumulators behind fp8_e4m3 x fp8_e4m3 products (fused) and
fp16 x fp16 products (unfused, BitMoD's FP16 baseline), the :class:`FloatAccumulator` is
converted with :func:`hwgen.emit.to_verilog` and synthesized with the same Yosys flows as
the reference, the complete INT8 x INT8 MAC with its exact 28-bit accumulator (decoders,
multiplier, adder and register). Columns:

- generic gates (``synth; abc -g cmos2``): cells and Yosys' CMOS transistor estimate;
- Xilinx 7-series without DSPs: LUTs and CARRY4;
- with ``--sta``: the pre-route critical path of the iCE40 (HX) netlist from Yosys ``sta``
  on ``cells_sim.v`` timing (ranks designs like nextpnr's routed fmax, see
  ``shared/reference/toolchain.md``), at ``stages=0`` and at the largest ``stages`` (where
  only the accumulation loop is left: its own delay).

Every figure is followed by its ratio to the INT8 MAC. Run::

    python bench/bench_fpacc.py          # ~1-2 min
    python bench/bench_fpacc.py --sta    # + iCE40 timing, ~5 min
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

from amaranth.lib import wiring

from hwgen.costmodel.synth import SynthTarget, run_yosys, synthesize
from hwgen.design.mac import MacConfig
from hwgen.emit import to_verilog
from hwgen.golden.float_acc import FloatAccSpec
from hwgen.golden.product_spec import product_spec
from hwgen.rtl.common.fpacc import FloatAccumulator

ROWS = (
    ("fp32", "fused", "fp8_e4m3", "fp8_e4m3"),
    ("fp16", "fused", "fp8_e4m3", "fp8_e4m3"),
    ("bf16", "fused", "fp8_e4m3", "fp8_e4m3"),
    ("fp32", "unfused", "fp16", "fp16"),
    ("fp16", "unfused", "fp16", "fp16"),
    ("bf16", "unfused", "fp16", "fp16"),
)


def _sta_ns(path: Path, top: str) -> float:
    """Pre-route critical path of the iCE40 HX netlist in ns (Yosys ``sta``)."""
    run = run_yosys(
        [path],
        [
            f"synth_ice40 -top {top}",
            "write_verilog -noattr net.v",
            "design -reset",
            "read_verilog -D ICE40_HX -lib -specify +/ice40/cells_sim.v",
            "read_verilog net.v",
            f"hierarchy -top {top}",
            "tee -q -o sta.txt sta",
        ],
        outputs=("sta.txt",),
        label=f"iCE40 timing of {top}",
    )
    m = re.search(r"Latest arrival time in '[^']+' is (\d+)", run.outputs["sta.txt"])
    if m is None:
        raise RuntimeError(f"no arrival time in the sta report of {top}")
    return int(m.group(1)) / 1000.0


def _measure(component: wiring.Component, top: str, tmp: Path, sta: bool) -> dict[str, float]:
    path = tmp / f"{top}.v"
    path.write_text(to_verilog(component, top=top))
    gen = synthesize([path], top, SynthTarget.GENERIC)
    xil = synthesize([path], top, SynthTarget.XILINX, dsp=False)
    out = {
        "cells": gen.num_cells,
        "transistors": gen.transistors or 0,
        "luts": xil.luts or 0,
        "carry4": xil.carries or 0,
    }
    if sta:
        out["sta_ns"] = _sta_ns(path, top)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sta", action="store_true", help="add iCE40 pre-route timing")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-fpacc-") as tmpdir:
        tmp = Path(tmpdir)
        ref_cfg = MacConfig(a_format="int8", w_format="int8")
        ref = _measure(ref_cfg.create(), ref_cfg.name, tmp, args.sta)
        cols = ["cells", "transistors", "luts", "carry4"] + (["sta_ns"] if args.sta else [])
        head = f"{'design':44s} " + " ".join(f"{c:>18s}" for c in cols)
        if args.sta:
            head += f" {'loop_sta_ns':>18s}"
        print(head)

        def fmt(vals: dict[str, float], extra: float | None = None) -> str:
            cells = []
            for c in cols:
                v = vals[c]
                ratio = v / ref[c] if ref[c] else float("nan")
                cells.append(f"{v:>10.4g} ({ratio:4.2f}x)")
            if extra is not None:
                cells.append(f"{extra:>10.4g} ({extra / ref['sta_ns']:4.2f}x)")
            return " ".join(f"{x:>18s}" for x in cells)

        print(f"{'reference: ' + ref_cfg.name:44s} {fmt(ref)}")
        for acc, rounding, a, w in ROWS:
            spec = FloatAccSpec(format=acc, rounding=rounding)
            ps = product_spec(a, w)
            dut = FloatAccumulator(spec=spec, product=ps)
            top = f"fpacc_{acc}_{rounding}_{a}_x_{w}"
            vals = _measure(dut, top, tmp, args.sta)
            loop = None
            if args.sta:
                full = FloatAccumulator(spec=spec, product=ps, stages=len(dut.cut_points))
                loop = _sta_ns(_write(full, top + "_loop", tmp), top + "_loop")
            print(f"{top:44s} {fmt(vals, loop)}", flush=True)
        print("ratios: to the INT8 x INT8 MAC (exact 28-bit accumulator) of the same run;")
        print("float rows are the accumulator alone (no decoders, no multiplier).")


def _write(component: wiring.Component, top: str, tmp: Path) -> Path:
    path = tmp / f"{top}.v"
    path.write_text(to_verilog(component, top=top))
    return path


if __name__ == "__main__":
    main()
