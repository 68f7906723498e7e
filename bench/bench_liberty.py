"""Embedded 44-cell library vs the full sky130_fd_sc_hd tt library, on a set of designs.

Each design goes through the same ASIC flow (Yosys mapping, OpenSTA timing) on hwgen's
embedded library and on the full SkyWater sky130_fd_sc_hd tt library
(``/work/shared/reference/liberty``), and for the ``--energy`` designs (MAC-style inputs
only) through the gate-level energy simulation (Gaussian operands; the full library's cell
models derived by :func:`hwgen.costmodel.liberty.models.write_cell_models`). Printed: area,
critical path and energy per MAC on both, the embedded / full ratio, whether both
libraries rank the designs the same way, and which full-library cells (drive strength
stripped) carry the most area.
Goal: every ratio within 15 % and the same ranking.

Run::

    python bench/bench_liberty.py [--energy int4,int8,fp8] [--designs int4,int8,...]

The README's table: ``--energy int4,int8,fp4,fp8,fp8-fp32acc,fp16-unfused``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from hwgen.costmodel.cost import CostOptions, estimate_cost
from hwgen.costmodel.liberty import embedded_library
from hwgen.costmodel.liberty.library import load_library
from hwgen.costmodel.liberty.models import write_cell_models
from hwgen.design.array import ArrayConfig
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.mac import AccRounding, MacConfig
from hwgen.emit import emit

FULL = Path("/work/shared/reference/liberty/sky130hd_tt.lib.gz")
GOAL = 0.15
DESIGNS = {
    "int4": MacConfig(a_format="int4", w_format="int4"),
    "int8": MacConfig(a_format="int8", w_format="int8"),
    "fp4": MacConfig(a_format="fp4_e2m1", w_format="fp4_e2m1"),
    "fp6": MacConfig(a_format="fp6_e3m2", w_format="fp6_e3m2"),
    "fp8": MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3"),
    "fp4-fp32acc": MacConfig(a_format="fp4_e2m1", w_format="fp4_e2m1", acc_format="fp32"),
    "fp8-fp32acc": MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", acc_format="fp32"),
    "fp16-unfused": MacConfig(
        a_format="fp16", w_format="fp16", acc_format="fp16", acc_rounding=AccRounding.UNFUSED
    ),
    "array2x2-int4": ArrayConfig(
        mac=MacConfig(a_format="int4", w_format="int4", max_terms=64), rows=2, cols=2
    ),
    "array4x4-int4": ArrayConfig(
        mac=MacConfig(a_format="int4", w_format="int4", max_terms=64), rows=4, cols=4
    ),
    "bitmod-pe": BitmodPEConfig(dot=4, group_size=32),
}


def _rank(values: list[float]) -> list[int]:
    return [int(r) for r in np.argsort(np.argsort(values, kind="stable"), kind="stable")]


def _family(cell: str) -> str:
    return re.sub(r"_\d+$", "", cell.removeprefix("sky130_fd_sc_hd__"))


def _row(name: str, e, f, cols: list[str]) -> str:
    line = f"{name:<15}"
    for c in cols:
        ve, vf = getattr(e, c), getattr(f, c)
        if ve is None or vf is None:
            line += f"{'-':>38}"
        else:
            line += f"{ve:>14.6g} / {vf:>10.6g} = {ve / vf:6.3f}x"
    return line


def main() -> None:
    """Print the tables (one row per design as soon as it is priced)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--energy", default="", help="designs to simulate, e.g. int4,int8,fp8")
    ap.add_argument("--designs", default=",".join(DESIGNS))
    ap.add_argument("--macs", type=int, default=500)
    args = ap.parse_args()
    if not FULL.is_file():
        print(f"(skipped: {FULL} not present)")
        return
    names = args.designs.split(",")
    with_energy = set(filter(None, args.energy.split(",")))
    full_lib = load_library(FULL)
    emb_lib = embedded_library()
    cols = ["area_um2", "critical_path_ns"] + (["energy_pj_per_mac"] if with_energy else [])
    print(f"== embedded ({len(emb_lib.cells)} cells) vs full sky130_fd_sc_hd tt (428 cells)")
    print(f"{'design':<15}" + "".join(f"{c + ' emb / full = ratio':>38}" for c in cols))
    rows = {}
    area_by_family: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-liberty-") as tmp:
        root = Path(tmp)
        os.environ["HWGEN_CACHE_DIR"] = str(root / "cache")
        models = write_cell_models(FULL, root / "sky130_models.v") if with_energy else None
        for name in names:
            ddir = root / name
            emit(DESIGNS[name], ddir)
            act = "gaussian" if name in with_energy else None
            t0 = time.perf_counter()
            m = args.macs
            emb = estimate_cost(ddir, CostOptions(activity=act, macs=m))
            full = estimate_cost(
                ddir,
                CostOptions(
                    liberty=FULL, cell_models=models if act else None, activity=act, macs=m
                ),
            )
            rows[name] = (emb, full)
            for c, n in (full.cell_counts or {}).items():
                area_by_family[_family(c)] += n * full_lib.cells[c].area_um2
            print(_row(name, emb, full, cols), flush=True)
            print(f"  {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    met = True
    for c in cols:
        have = [(e, f) for e, f in rows.values() if getattr(e, c) is not None]
        worst = max(abs(getattr(e, c) / getattr(f, c) - 1) for e, f in have)
        same = _rank([getattr(e, c) for e, _ in have]) == _rank([getattr(f, c) for _, f in have])
        met = met and same and worst <= GOAL
        print(f"{c}: worst deviation {worst * 100:.1f} %, same ranking: {same}")
    print(
        f"goal (every ratio within {GOAL * 100:.0f} %, same ranking): {'met' if met else 'NOT met'}"
    )
    for name in with_energy & set(rows):
        e, f = rows[name]
        print(
            f"energy check {name}: ours / OpenSTA embedded {e.power_mw / e.opensta_power_mw:.3f}, "
            f"full {f.power_mw / f.opensta_power_mw:.3f}"
        )
    total = sum(area_by_family.values())
    top = ", ".join(f"{k} {v / total * 100:.1f}%" for k, v in area_by_family.most_common(14))
    print(f"full-library area by cell family: {top}")


if __name__ == "__main__":
    main()
