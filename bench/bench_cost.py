"""Seconds per design point of each cost flow, as ratios to a plain Yosys generic run.

For each MAC design: the plain Yosys generic synthesis (the reference, measured in the same
process), the ASIC flow (Yosys mapping to the embedded library + OpenSTA timing), the
energy simulation (gate-level Verilator run of 2000 MACs + pricing + OpenSTA cross-check;
first run builds the Verilator model, the second reuses it), iCE40 place and route (3
seeds, with synthesis) and a cached re-query of the ASIC result. Uses a private cache
directory, removed afterwards.

Run::

    python bench/bench_cost.py [--designs int4,int8,fp8_e4m3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hwgen.costmodel.cost import CostOptions, estimate_cost
from hwgen.costmodel.synth import SynthTarget, synthesize
from hwgen.design.mac import MacConfig
from hwgen.emit import emit
from hwgen.emit.manifest import Manifest


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", default="int4,int8,fp8_e4m3")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-cost-") as tmp:
        root = Path(tmp)
        os.environ["HWGEN_CACHE_DIR"] = str(root / "cache")
        print(
            f"{'design':<34} {'generic s':>9} {'asic+sta':>14} {'energy 1st':>14} "
            f"{'energy 2nd':>14} {'ice40 P&R':>14} {'cached':>14}"
        )
        for fmt in args.designs.split(","):
            ddir = root / fmt
            emit(MacConfig(a_format=fmt, w_format=fmt), ddir)
            top = Manifest.load(ddir).top
            ref = _timed(lambda: synthesize(ddir, top, SynthTarget.GENERIC))  # noqa: B023
            asic = _timed(lambda: estimate_cost(ddir, use_cache=False))  # noqa: B023
            e_opts = CostOptions(activity="gaussian", macs=2000)
            e1 = _timed(lambda: estimate_cost(ddir, e_opts, use_cache=False))  # noqa: B023
            e2 = _timed(lambda: estimate_cost(ddir, e_opts, use_cache=False))  # noqa: B023
            p_opts = CostOptions(target="ice40", dsp=False, pnr=True)
            pnr = _timed(lambda: estimate_cost(ddir, p_opts, use_cache=False))  # noqa: B023
            estimate_cost(ddir)
            hit = _timed(lambda: estimate_cost(ddir))  # noqa: B023

            def cell(s: float, ref: float = ref) -> str:
                return f"{s:6.2f} ({s / ref:5.1f}x)"

            print(
                f"{top:<34} {ref:9.2f} {cell(asic):>14} {cell(e1):>14} {cell(e2):>14} "
                f"{cell(pnr):>14} {hit * 1e3:7.1f} ms ({hit / ref:.3f}x)"
            )


if __name__ == "__main__":
    main()
