"""Area of the BitMoD PE (exact and narrow) against hwgen's FP16-accumulating MACs.

Every design is emitted to Verilog (:func:`hwgen.emit.to_verilog`) and measured in one run
with three flows:

- Yosys generic gates (``abc -g cmos2``, :func:`costmodel.synth.synthesize`): cells and
  Yosys' CMOS transistor estimate; ``comb tr`` = transistors minus 16 per flip-flop (Yosys'
  price of a plain D flip-flop; enable and reset gates stay in the combinational count);
- Xilinx 7-series LUTs without DSPs (``synth_xilinx -nodsp``);
- ASIC cells of hwgen's embedded sky130-derived Liberty library (the ``hwgen cost --target
  asic`` mapping, :func:`costmodel.asic.synthesize_asic`): ``um2`` total and ``comb um2``
  without the flip-flops (what BitMoD's "without registers" column counts).

Rows: the BitMoD PE (dot 4, FP16 activations, group 128) exact, narrow (floor), narrow
with round-to-nearest normalisation, narrow serving only FP4/FP3; the narrow PE without its
term encoder (BitMoD prices one encoder per tile, apart from the PE: the flattened PE minus
the encoder's cells from a synthesis with the hierarchy kept); and the narrow PE's
``BitMoD parts``, the submodules that make up BitMoD's PE column (exponent match,
bit-serial multiply, group accumulate, dequant; without the term encoder, the activation
decoders, the stream control and metadata, the special-value register), like with like
with BitMoD's 1221.6 um2. References: hwgen's FP16 x FP16 MAC with an unfused FP16
accumulator (BitMoD's FP16 MAC: an FP16 multiplier and a separate FP16 adder) and FP16 x
INT8 -> FP16 (unfused), one MAC per cycle. Ratios are against the FP16 x FP16 unfused MAC;
``per MAC/cycle`` divides the PE's combinational ASIC area by its MACs per cycle at each
datatype (``dot / cycles``).

BitMoD (HPCA 2025, 28 nm, ``shared/reference/bitmod.md``): PE 1221.6 um2 / FP16 MAC
1733.5 um2 without registers = 0.70; with registers 1793.7 / 1968.7 = 0.91.

Run: ``python bench/bench_bitmod_area.py [--quick] [--narrow-only] [--xilinx-timeout S]``
(``--quick``: no Xilinx flow; ``--narrow-only``: the narrow PE and the FP16 x FP16 MAC
only; ``--xilinx-timeout``: seconds per ``synth_xilinx`` run, default 3600, since the
FP16 MAC's Xilinx synthesis took over 900 s on a loaded machine).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from amaranth.back import rtlil

from hwgen.costmodel.asic import (
    CONSTR_FILE,
    LIB_FILE,
    abc_constraints,
    asic_commands,
    library_text,
    synthesize_asic,
)
from hwgen.costmodel.liberty import embedded_library
from hwgen.costmodel.synth import SynthTarget, synthesize
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.mac import MacConfig
from hwgen.emit import to_verilog
from hwgen.tools.sources import design_sources
from hwgen.tools.yosys import run_yosys

#: Yosys' CMOS transistor price of a plain D flip-flop (``stat -tech cmos``).
FF_TRANSISTORS = 16
BASE = "mac fp16xfp16 unf"
DTYPES = ("int8", "int6", "int4", "int3", "fp4", "fp3")
BITMOD_RATIO_NO_REG = 1221.6 / 1733.5
BITMOD_RATIO_REG = 1793.7 / 1968.7


def _designs() -> list[tuple[str, object]]:
    unf = {"acc_format": "fp16", "acc_rounding": "unfused"}
    return [
        ("bitmod_pe narrow", BitmodPEConfig(mode="narrow")),
        ("bitmod_pe narrow rn", BitmodPEConfig(mode="narrow", acc_rounding="nearest")),
        ("bitmod_pe narrow fp4/3", BitmodPEConfig(mode="narrow", weight_types=("fp4", "fp3"))),
        ("bitmod_pe exact", BitmodPEConfig(mode="exact")),
        (BASE, MacConfig(a_format="fp16", w_format="fp16", **unf)),  # type: ignore[arg-type]
        ("mac fp16xint8 unf", MacConfig(a_format="fp16", w_format="int8", **unf)),  # type: ignore[arg-type]
    ]


#: The narrow PE's submodules that make up BitMoD's PE column (exponent match, bit-serial
#: multiply, group accumulate, dequant: 119.2 + 498.4 + 475.9 + 128.1 = 1221.6 um2).
BITMOD_PARTS = ("expmatch", "mul", "acc", "dequant")


def hierarchy_areas(cfg: BitmodPEConfig) -> dict[str, dict[str, float]]:
    """Per-submodule generic transistors, flip-flops and ASIC um2 (hierarchy kept).

    Synthesizes Amaranth's RTLIL directly (the emitted Verilog is flattened) with the
    generic flow and with the embedded-library ASIC flow (the commands of
    :func:`costmodel.asic.asic_commands`, the same ABC mapping with its constraint file and
    delay target as the flattened rows and the baseline MACs, only without ``-flatten``);
    each submodule's own cells, the top's without its children. Keys: ``tr``, ``ffs``,
    ``um2``, ``seq_um2``.
    """
    top = cfg.name
    il = rtlil.convert(cfg.create(), name=top, emit_src=False)
    lib = embedded_library()
    common = ["read_rtlil pe.il", f"hierarchy -top {top}", f"synth -top {top}"]
    gen = run_yosys(
        [
            *common,
            "dfflegalize -cell $_DFF_P_ 01",
            "abc -g cmos2",
            "opt_clean",
            "tee -q -o st.json stat -json -tech cmos",
        ],
        inputs={"pe.il": il},
        outputs=("st.json",),
        label=f"hierarchical synthesis of {top}",
    )
    flow = asic_commands(top, lib)
    flat = f"synth -flatten -top {top}"
    if flow[0] != flat:  # the flow's first command is the one this function replaces
        raise AssertionError(f"unexpected ASIC flow start {flow[0]!r}")
    asic = run_yosys(
        [
            *common,
            *flow[1:],
            f"tee -q -o st.json stat -json -liberty {LIB_FILE}",
        ],
        inputs={"pe.il": il, LIB_FILE: library_text(lib), CONSTR_FILE: abc_constraints(lib)},
        outputs=("st.json",),
        label=f"hierarchical ASIC synthesis of {top}",
    )
    out: dict[str, dict[str, float]] = {}
    for name, mod in json.loads(gen.outputs["st.json"])["modules"].items():
        cells = mod.get("num_cells_by_type", {})
        out[name.lstrip("\\")] = {
            "tr": float(mod.get("estimated_num_transistors") or 0),
            "ffs": float(sum(v for k, v in cells.items() if "DFF" in k)),
        }
    for name, mod in json.loads(asic.outputs["st.json"])["modules"].items():
        out[name.lstrip("\\")].update(
            um2=float(mod.get("area", 0.0)), seq_um2=float(mod.get("sequential_area", 0.0))
        )
    # Yosys reports the top with its children included: subtract them.
    for key in ("tr", "um2", "seq_um2"):
        out[top][key] -= sum(v[key] for n, v in out.items() if n != top)
    return out


#: Default seconds per Xilinx synthesis (the generic and ASIC flows keep Yosys' default).
XILINX_TIMEOUT_S = 3600.0


def _measure(
    cfg: object, tmp: Path, quick: bool, xilinx_timeout_s: float = XILINX_TIMEOUT_S
) -> dict[str, float | None]:
    top = cfg.name  # type: ignore[attr-defined]
    path = tmp / f"{top}.v"
    path.write_text(to_verilog(cfg.create(), top=top))  # type: ignore[attr-defined]
    gen = synthesize([path], top, SynthTarget.GENERIC)
    asic = synthesize_asic(design_sources([path]), top, embedded_library())
    luts = (
        None
        if quick
        else synthesize([path], top, SynthTarget.XILINX, timeout_s=xilinx_timeout_s).luts
    )
    return {
        "cells": gen.num_cells,
        "tr": gen.transistors,
        "ffs": gen.ffs,
        "comb_tr": gen.transistors - FF_TRANSISTORS * gen.ffs,
        "luts": luts,
        "um2": asic.area_um2,
        "comb_um2": asic.combinational_area_um2,
    }


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.3f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="generic and ASIC flows only")
    p.add_argument(
        "--narrow-only",
        action="store_true",
        help="only the narrow PE and the FP16 x FP16 MAC (with the breakdown)",
    )
    p.add_argument(
        "--xilinx-timeout",
        type=float,
        default=XILINX_TIMEOUT_S,
        metavar="S",
        help=f"seconds per synth_xilinx run (default {XILINX_TIMEOUT_S:.0f})",
    )
    args = p.parse_args()
    if not args.xilinx_timeout > 0:
        p.error(f"--xilinx-timeout must be > 0, not {args.xilinx_timeout}")
    t0 = time.perf_counter()
    rows: dict[str, dict[str, float | None]] = {}
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-bitmod-") as tmp:
        for label, cfg in _designs():
            if args.narrow_only and label not in ("bitmod_pe narrow", BASE):
                continue
            rows[label] = _measure(cfg, Path(tmp), args.quick, args.xilinx_timeout)
    narrow = BitmodPEConfig(mode="narrow")
    hier = hierarchy_areas(narrow)
    enc = hier[f"{narrow.name}.enc"]
    pe = rows["bitmod_pe narrow"]
    # The encoder is combinational (no flip-flops): the flattened PE minus the encoder's
    # own cells synthesized with the hierarchy kept.
    rows["bitmod_pe narrow w/o encoder"] = {
        "cells": None,
        "tr": pe["tr"] - enc["tr"],  # type: ignore[operator]
        "ffs": pe["ffs"],
        "comb_tr": pe["comb_tr"] - enc["tr"],  # type: ignore[operator]
        "luts": None,
        "um2": pe["um2"] - enc["um2"],  # type: ignore[operator]
        "comb_um2": pe["comb_um2"] - enc["um2"],  # type: ignore[operator]
    }
    parts = [hier[f"{narrow.name}.{n}"] for n in BITMOD_PARTS]
    rows["bitmod_pe narrow BitMoD parts"] = {
        "cells": None,
        "tr": sum(v["tr"] for v in parts),
        "ffs": sum(v["ffs"] for v in parts),
        "comb_tr": sum(v["tr"] - FF_TRANSISTORS * v["ffs"] for v in parts),
        "luts": None,
        "um2": sum(v["um2"] for v in parts),
        "comb_um2": sum(v["um2"] - v["seq_um2"] for v in parts),
    }
    base = rows[BASE]
    hdr = (
        f"{'design':<29} {'cells':>6} {'transistors':>11} {'FFs':>4} {'comb tr':>8} {'x7 LUT':>6}"
        f" {'um2':>8} {'comb um2':>8} | {'tr':>5} {'comb tr':>7} {'LUT':>5} {'um2':>5}"
        f" {'comb um2':>8}"
    )
    print("ratios (right) against", BASE, "(FP16 x FP16, unfused FP16 accumulator)")
    print(hdr)
    print("-" * len(hdr))
    for label, r in rows.items():
        lut = "-" if r["luts"] is None else f"{r['luts']:.0f}"
        cells = "-" if r["cells"] is None else f"{r['cells']:.0f}"
        print(
            f"{label:<29} {cells:>6} {r['tr']:>11.0f} {r['ffs']:>4.0f} {r['comb_tr']:>8.0f}"
            f" {lut:>6} {r['um2']:>8.1f} {r['comb_um2']:>8.1f} | {_ratio(r['tr'], base['tr']):>5}"
            f" {_ratio(r['comb_tr'], base['comb_tr']):>7} {_ratio(r['luts'], base['luts']):>5}"
            f" {_ratio(r['um2'], base['um2']):>5} {_ratio(r['comb_um2'], base['comb_um2']):>8}"
        )
    print(
        f"BitMoD (28 nm): PE / FP16 MAC = {BITMOD_RATIO_NO_REG:.3f} without registers,"
        f" {BITMOD_RATIO_REG:.3f} with"
    )
    print()
    print(
        "per MAC/cycle: combinational ASIC um2 / (MACs per cycle), ratio to the FP16 MAC (1/cycle)"
    )
    print(f"{'design':<29}" + "".join(f" {d:>13}" for d in DTYPES))
    for label, cfg in _designs()[:4]:
        if label not in rows:
            continue
        r = rows[label]
        cells_s = []
        for d in DTYPES:
            rate = cfg.macs_per_cycle.get(d)  # type: ignore[attr-defined]
            if rate is None:
                cells_s.append(f" {'-':>13}")
                continue
            per = r["comb_um2"] / rate  # type: ignore[operator]
            cells_s.append(f" {per:>6.0f} {per / base['comb_um2']:>5.2f}x")  # type: ignore[operator]
        print(f"{label:<29}" + "".join(cells_s))
    rates = narrow.macs_per_cycle
    print(
        f"{'(MACs/cycle, cycles/weight)':<29}"
        + "".join(f" {rates[d]:>6.2f} {narrow.cycles_per_weight[d]:>5}c" for d in DTYPES)
    )
    print()
    print("narrow PE per submodule (hierarchy kept): generic transistors, FFs, ASIC um2, comb um2")
    total_tr = sum(v["tr"] for v in hier.values())
    total_um2 = sum(v["um2"] for v in hier.values())
    for name, v in hier.items():
        short = name.removeprefix(narrow.name).lstrip(".") or "(top: control, registers)"
        comb = v["um2"] - v["seq_um2"]
        print(
            f"  {short:<28} {v['tr']:>7.0f} {v['ffs']:>4.0f} {v['tr'] / total_tr:>6.1%}"
            f" {v['um2']:>8.1f} {comb:>8.1f} {comb / base['comb_um2']:>6.3f}x"  # type: ignore[operator]
        )
    print(f"  {'total':<28} {total_tr:>7.0f}      {'':>6} {total_um2:>8.1f}")
    print(
        f"  (comb um2 ratio against the FP16 MAC's; BitMoD's parts: {', '.join(BITMOD_PARTS)};"
        " BitMoD 0.069, 0.288, 0.275, 0.074 of its FP16 MAC)"
    )
    flows = "yosys generic + embedded-library ASIC" + ("" if args.quick else " + synth_xilinx")
    print(f"({flows}, {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
