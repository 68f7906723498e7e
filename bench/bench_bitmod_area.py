"""Area of the BitMoD PE (exact and narrow) against hwgen's bit-parallel MACs.

Each design is emitted to Verilog (:func:`hwgen.emit.to_verilog`) and synthesized with the
same Yosys flows (:func:`costmodel.synth.synthesize`): generic gates (cells and Yosys' CMOS
transistor estimate, flip-flops) and Xilinx 7-series LUTs without DSPs. Rows:

- the BitMoD PE, dot 4, FP16 activations, group 128: exact, narrow (floor), narrow with
  round-to-nearest normalisation, and a narrow PE serving only FP4/FP3;
- references measured in the same run: hwgen's FP16 x FP16 MAC with its exact fixed-point
  accumulator (``max_terms`` 128, one product per cycle), an FP16 x INT8 exact MAC and an
  INT8 x INT8 MAC.

``per MAC/cycle`` divides transistors by the PE's MACs per cycle at FP4 (2.0) and INT8 (1.0);
the MACs do 1 MAC per cycle. Ratios are against the FP16 x FP16 exact MAC (the unfused FP16
accumulating MAC comes from the floating-point accumulator work).

Run: ``python bench/bench_bitmod_area.py [--quick]`` (``--quick``: generic flow only).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hwgen.costmodel.synth import SynthTarget, synthesize
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.mac import MacConfig
from hwgen.emit import to_verilog


def _designs() -> list[tuple[str, object, dict[str, float]]]:
    pe = {"fp4": 2.0, "int8": 1.0}
    mac = {"fp4": 1.0, "int8": 1.0}
    return [
        ("bitmod_pe exact", BitmodPEConfig(mode="exact"), pe),
        ("bitmod_pe narrow", BitmodPEConfig(mode="narrow"), pe),
        ("bitmod_pe narrow rn", BitmodPEConfig(mode="narrow", acc_rounding="nearest"), pe),
        (
            "bitmod_pe narrow fp4/3",
            BitmodPEConfig(mode="narrow", weight_types=("fp4", "fp3")),
            {"fp4": 2.0, "int8": float("nan")},
        ),
        ("mac fp16xfp16 exact", MacConfig(a_format="fp16", w_format="fp16", max_terms=128), mac),
        ("mac fp16xint8 exact", MacConfig(a_format="fp16", w_format="int8", max_terms=128), mac),
        ("mac int8xint8", MacConfig(a_format="int8", w_format="int8", max_terms=128), mac),
    ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="generic flow only")
    args = p.parse_args()
    rows = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-bitmod-") as tmp:
        for label, cfg, macs in _designs():
            top = cfg.name  # type: ignore[attr-defined]
            path = Path(tmp) / f"{top}.v"
            path.write_text(to_verilog(cfg.create(), top=top))  # type: ignore[attr-defined]
            gen = synthesize([path], top, SynthTarget.GENERIC)
            luts = None
            if not args.quick:
                luts = synthesize([path], top, SynthTarget.XILINX).luts
            rows.append((label, gen.num_cells, gen.transistors, gen.ffs, luts, macs))
    base = next(r for r in rows if r[0] == "mac fp16xfp16 exact")
    hdr = (
        f"{'design':<24} {'cells':>7} {'transistors':>11} {'FFs':>5} {'x7 LUT':>7}"
        f" {'tr/MAC fp4':>10} {'tr/MAC int8':>11} {'tr ratio':>8} {'LUT ratio':>9}"
    )
    print(hdr)
    print("-" * len(hdr))
    for label, cells, tr, ffs, luts, macs in rows:
        lut_s = "-" if luts is None else str(luts)
        lut_r = "-" if luts is None or base[4] is None else f"{luts / base[4]:.3f}"
        print(
            f"{label:<24} {cells:>7} {tr:>11} {ffs:>5} {lut_s:>7} {tr / macs['fp4']:>10.0f}"
            f" {tr / macs['int8']:>11.0f} {tr / base[2]:>8.3f} {lut_r:>9}"
        )
    print(f"(yosys generic + synth_xilinx -nodsp, {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
