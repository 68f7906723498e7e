"""ASIC area, delay and energy: embedded library vs full sky130, anchors, and data effects.

Three tables, all measured in this run:

1. **Libraries**: each MAC through the ASIC flow on hwgen's embedded 44-cell library and on
   the full sky130_fd_sc_hd tt library (``/work/shared/reference/liberty``; cell models for
   its energy simulation derived by :func:`hwgen.costmodel.liberty.models.write_cell_models`):
   area, critical path and energy per MAC (Gaussian operands), embedded / full ratios, and
   whether both libraries rank the designs the same way. Goal: within 15 %.
2. **Anchors**: INT8 MAC vs the behavioural ``acc <= acc + a*w`` references (same flow,
   embedded library; goal <= 1.0x); FP8 E4M3 exact-accumulator MAC vs INT8 MAC (published
   FP8/INT8 premium 1.5-2.8x is with an FP32 accumulator, this is the exact accumulator).
3. **Data**: energy per MAC of an INT8 and an FP8 E4M3 MAC on Gaussian, uniform, Laplace
   and heavy-tailed "student-t wts" tensors, dense and sparse (75 % zeros); the same tensor
   encoded as INT8 and as FP8 E4M3.

Run::

    python bench/bench_asic.py [--quick]     # --quick: tables 1 and 2 without energy
    python bench/bench_asic.py --table 3     # only the named table(s); repeatable
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from hwgen.costmodel.asic import library_text, synthesize_asic
from hwgen.costmodel.cost import CostOptions, estimate_cost
from hwgen.costmodel.liberty import embedded_library
from hwgen.costmodel.liberty.models import write_cell_models
from hwgen.costmodel.reference import ReferenceKind, reference_mac
from hwgen.costmodel.sta import analyze_timing
from hwgen.design.mac import MacConfig
from hwgen.emit import emit
from hwgen.tools.sources import design_sources

FULL = Path("/work/shared/reference/liberty/sky130hd_tt.lib.gz")
DESIGNS = (("int4", "int4"), ("int8", "int8"), ("fp8_e4m3", "fp8_e4m3"), ("fp4_e2m1", "fp4_e2m1"))


def _rank(values: list[float]) -> list[int]:
    return list(np.argsort(np.argsort(values)))


def libraries(root: Path, energy: bool) -> None:
    print("== embedded (hwgen_sky130hd, 44 cells) vs full sky130_fd_sc_hd tt")
    if not FULL.is_file():
        print(f"(skipped: {FULL} not present)")
        return
    models = write_cell_models(FULL, root / "sky130_models.v")
    cols = ["area_um2", "critical_path_ns"] + (["energy_pj_per_mac"] if energy else [])
    rows = {}
    for a, w in DESIGNS:
        ddir = root / f"{a}_{w}"
        emit(MacConfig(a_format=a, w_format=w), ddir)
        act = "gaussian" if energy else None
        emb = estimate_cost(ddir, CostOptions(activity=act))
        full = estimate_cost(
            ddir, CostOptions(liberty=FULL, cell_models=models if energy else None, activity=act)
        )
        rows[emb.top] = (emb, full)
    print(f"{'design':<36}" + "".join(f"{c + ' emb/full':>34}" for c in cols))
    for top, (e, f) in rows.items():
        line = f"{top:<36}"
        for c in cols:
            ve, vf = getattr(e, c), getattr(f, c)
            line += f"{ve:>12.4g} /{vf:>10.4g} = {ve / vf:5.3f}x"
        print(line)
    for c in cols:
        emb_rank = _rank([getattr(e, c) for e, _ in rows.values()])
        full_rank = _rank([getattr(f, c) for _, f in rows.values()])
        print(f"same ranking by {c}: {emb_rank == full_rank}")
    if energy:
        print("energy cross-check (ours / OpenSTA at the same activity):")
        for top, (e, f) in rows.items():
            print(
                f"  {top:<34} embedded {e.power_mw / e.opensta_power_mw:5.3f}  "
                f"full {f.power_mw / f.opensta_power_mw:5.3f}"
            )


def anchors(root: Path) -> None:
    print("== anchors (embedded library)")
    lib = embedded_library()
    text = library_text(lib)
    ddir = root / "int8_int8"
    if not ddir.is_dir():
        emit(MacConfig(a_format="int8", w_format="int8"), ddir)
    mac = estimate_cost(ddir)
    for kind in (ReferenceKind.PLAIN, ReferenceKind.VALID_CLEAR):
        ref = reference_mac(a_bits=8, w_bits=8, acc_bits=28, kind=kind)
        s = synthesize_asic(design_sources([ref.path]), ref.top, lib, params=ref.params)
        t = analyze_timing(s, clock="clk", library_text=text)
        print(
            f"INT8 MAC / behavioural {kind.value:<12} area {mac.area_um2:8.1f} / "
            f"{s.area_um2:8.1f} = {mac.area_um2 / s.area_um2:5.3f}x   delay "
            f"{mac.critical_path_ns:6.3f} / {t.critical_path_ns:6.3f} = "
            f"{mac.critical_path_ns / t.critical_path_ns:5.3f}x"
        )
    fdir = root / "fp8_e4m3_fp8_e4m3"
    if not fdir.is_dir():
        emit(MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3"), fdir)
    fp8 = estimate_cost(fdir)
    print(
        f"FP8 E4M3 (exact acc) / INT8 MAC: area {fp8.area_um2 / mac.area_um2:5.3f}x, "
        f"delay {fp8.critical_path_ns / mac.critical_path_ns:5.3f}x "
        "(published FP8/INT8 with FP32 accumulator: 1.5-2.8x)"
    )


def data(root: Path) -> None:
    print("== energy per MAC (pJ, embedded library, 100 MHz) by operand data")
    from hwgen.quant import synthetic_tensors

    tensors = synthetic_tensors("student-t", seed=0)
    weights = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in tensors.values()])
    tfile = root / "weights.npy"
    np.save(tfile, weights[:100_000])
    streams = [
        "gaussian",
        "uniform",
        "laplace",
        str(tfile),
        "gaussian:zeros=0.75",
        f"{tfile}:zeros=0.75",
    ]
    labels = ["gaussian", "uniform", "laplace", "student-t wts", "gaussian 75% 0", "weights 75% 0"]
    print(f"{'design':<36}" + "".join(f"{lb:>16}" for lb in labels))
    for fmt in ("int8", "fp8_e4m3"):
        ddir = root / f"{fmt}_{fmt}"
        if not ddir.is_dir():
            emit(MacConfig(a_format=fmt, w_format=fmt), ddir)
        vals = [estimate_cost(ddir, CostOptions(activity=s)) for s in streams]
        print(f"{vals[0].top:<36}" + "".join(f"{v.energy_pj_per_mac:>16.3f}" for v in vals))


def main() -> None:
    """Print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tables 1 and 2 without energy")
    ap.add_argument(
        "--table",
        type=int,
        choices=(1, 2, 3),
        action="append",
        help="run only this table (repeatable); default: all three",
    )
    args = ap.parse_args()
    tables = set(args.table or (1, 2, 3))
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-asic-") as tmp:
        root = Path(tmp)
        os.environ["HWGEN_CACHE_DIR"] = str(root / "cache")
        if 1 in tables:
            libraries(root, energy=not args.quick)
        if 2 in tables:
            anchors(root)
        if 3 in tables and not args.quick:
            data(root)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
