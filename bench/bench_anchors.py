"""Cost anchors through ``hwgen cost``: hwgen's designs next to the published ratios.

Every design is generated with ``hwgen generate``'s API and priced with ``hwgen cost
--json`` (a subprocess per query, the user's path) on the embedded library, all in this
run:

1. INT8 MAC vs a behavioural ``acc <= acc + a*w`` (same ASIC flow, embedded library; the
   reference is a hand-written Verilog module, priced with the flow's functions since it
   has no manifest). Goal <= 1.0x.
2. FP8 E4M3 MAC with an FP32 accumulator vs INT8 MAC: area and energy per MAC (Gaussian
   operands), next to the published 1.5-2.8x (van Baalen et al. 2023).
3. BitMoD PE (4-way dot, BitMoD-like narrow widths) vs an FP16 x FP16 MAC with an unfused
   FP16 accumulator: area, next to the published 0.70x (without registers) / 0.91x (with
   registers), 28 nm.

Run::

    python bench/bench_anchors.py [--macs 500]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from hwgen.costmodel.asic import library_text, synthesize_asic
from hwgen.costmodel.liberty import embedded_library
from hwgen.costmodel.reference import ReferenceKind, reference_mac
from hwgen.costmodel.sta import analyze_timing
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.mac import AccRounding, MacConfig
from hwgen.emit import emit
from hwgen.tools.sources import design_sources

HWGEN = [sys.executable, "-m", "hwgen"]


def cost(ddir: Path, *args: str) -> dict:
    """``hwgen cost DIR --json ARGS`` in a subprocess."""
    res = subprocess.run(
        [*HWGEN, "cost", str(ddir), "--json", *args], capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        raise SystemExit(f"hwgen cost {ddir.name} failed: {res.stderr.strip()}")
    return json.loads(res.stdout)


def main() -> None:
    """Print the anchor table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--macs", type=int, default=500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-anchors-") as tmp:
        root = Path(tmp)
        os.environ["HWGEN_CACHE_DIR"] = str(root / "cache")
        designs = {
            "int8": MacConfig(a_format="int8", w_format="int8"),
            "fp8-fp32acc": MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", acc_format="fp32"),
            "fp16-fp16acc-unfused": MacConfig(
                a_format="fp16",
                w_format="fp16",
                acc_format="fp16",
                acc_rounding=AccRounding.UNFUSED,
            ),
            "bitmod-pe": BitmodPEConfig(dot=4, mode="narrow"),
        }
        for name, cfg in designs.items():
            emit(cfg, root / name)
        energy = ("--activity", "gaussian", "--macs", str(args.macs))
        r = {
            "int8": cost(root / "int8", *energy),
            "fp8-fp32acc": cost(root / "fp8-fp32acc", *energy),
            "fp16-fp16acc-unfused": cost(root / "fp16-fp16acc-unfused"),
            "bitmod-pe": cost(root / "bitmod-pe"),
        }
        lib = embedded_library()
        ref = reference_mac(a_bits=8, w_bits=8, acc_bits=28, kind=ReferenceKind.VALID_CLEAR)
        s = synthesize_asic(design_sources([ref.path]), ref.top, lib, params=ref.params)
        t = analyze_timing(s, clock="clk", library_text=library_text(lib))
        plain = reference_mac(a_bits=8, w_bits=8, acc_bits=28, kind=ReferenceKind.PLAIN)
        sp = synthesize_asic(design_sources([plain.path]), plain.top, lib, params=plain.params)
    i8, f8 = r["int8"], r["fp8-fp32acc"]
    fp16, pe = r["fp16-fp16acc-unfused"], r["bitmod-pe"]
    print(f"== anchors (embedded library {i8['source']['area_um2']['library']})")
    print(f"{'anchor':<58} {'hwgen':>34} {'ratio':>7}  published")
    rows = [
        (
            "INT8 MAC / behavioural acc <= acc + a*w (valid/clear), area",
            f"{i8['area_um2']:.0f} / {s.area_um2:.0f} um2",
            i8["area_um2"] / s.area_um2,
            "<= 1.0x",
        ),
        (
            "INT8 MAC / behavioural acc <= acc + a*w (plain), area",
            f"{i8['area_um2']:.0f} / {sp.area_um2:.0f} um2",
            i8["area_um2"] / sp.area_um2,
            "<= 1.0x (the plain one has no valid/clear)",
        ),
        (
            "INT8 MAC / behavioural (valid/clear), critical path",
            f"{i8['critical_path_ns']:.2f} / {t.critical_path_ns:.2f} ns",
            i8["critical_path_ns"] / t.critical_path_ns,
            "<= 1.0x",
        ),
        (
            "FP8 E4M3 MAC, FP32 acc / INT8 MAC, area",
            f"{f8['area_um2']:.0f} / {i8['area_um2']:.0f} um2",
            f8["area_um2"] / i8["area_um2"],
            "1.5-2.8x",
        ),
        (
            "FP8 E4M3 MAC, FP32 acc / INT8 MAC, energy per MAC",
            f"{f8['energy_pj_per_mac']:.2f} / {i8['energy_pj_per_mac']:.2f} pJ",
            f8["energy_pj_per_mac"] / i8["energy_pj_per_mac"],
            "1.5-2.8x",
        ),
        (
            "BitMoD PE (d4, narrow) / FP16 MAC (FP16 acc, unfused), area",
            f"{pe['area_um2']:.0f} / {fp16['area_um2']:.0f} um2",
            pe["area_um2"] / fp16["area_um2"],
            "0.70x w/o registers, 0.91x with (28 nm)",
        ),
        (
            "BitMoD PE / FP16 MAC, combinational area",
            f"{pe['combinational_area_um2']:.0f} / {fp16['combinational_area_um2']:.0f} um2",
            pe["combinational_area_um2"] / fp16["combinational_area_um2"],
            "0.70x (w/o registers)",
        ),
    ]
    for what, val, ratio, pub in rows:
        print(f"{what:<58} {val:>34} {ratio:6.2f}x  {pub}")
    print(
        f"energy: {args.macs} Gaussian MACs at 100 MHz; OpenSTA check "
        f"INT8 {i8['power_mw'] / i8['opensta_power_mw']:.3f}, "
        f"FP8 {f8['power_mw'] / f8['opensta_power_mw']:.3f}"
    )


if __name__ == "__main__":
    main()
