"""Verification throughput of the BitMoD PE and PE array against the bit-parallel MAC, in one run.

Each design is emitted to a temporary directory and verified on Verilator with
:func:`hwgen.sim.verify.verify` (build excluded from the figures; the build cache is a
temporary directory too). Rows:

- the BitMoD PE (FP16 activations, dot 4, group 128), exact and narrow, default lanes;
- the 4 x 4 BitMoD PE array of the same PEs, exact and narrow (one array per harness;
  all phases, the ``gemm`` phase being ``--vectors`` MACs of quantized heavy-tailed
  GEMMs);
- reference measured in the same run: hwgen's bit-parallel FP16 x INT8 exact MAC
  (``max_terms`` 128, default lanes), its extreme and random phases (no exhaustive phase),
  ``--reference-vectors`` random MACs (default 2^20: 256 lanes check 256 MACs a clock, so
  fewer would leave its clock loop a few hundred clocks long, dominated by its start).

Every checked MAC is a real weight x activation product of the RTL on Verilator whose
result (a MAC's accumulator each cycle, a PE's or array's group result) is compared
bit-exactly with the golden model; a run with a mismatch stops the bench.

Figures: checked MACs per second of the whole simulator run, of the clock loop alone (wall
time) and per CPU second of the clock loop (the simulator process's CPU time: what a free
core reaches, whatever else the machine runs), each with its ratio to the MAC's.

Run: ``python bench/bench_bitmod_verify.py [--vectors N] [--reference-vectors N]`` (both
2^20 by default: with 2^16 the BitMoD clock loops last a fraction of a CPU second and
their start dominates the rates).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hwgen.design.base import DesignConfig
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.bitmod_array import BitmodArrayConfig
from hwgen.design.mac import MacConfig
from hwgen.emit import emit
from hwgen.sim.verify import VerifyOptions, Waves, verify


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=1 << 20)
    ap.add_argument("--reference-vectors", type=int, default=1 << 20)
    args = ap.parse_args()
    designs: list[tuple[str, DesignConfig, VerifyOptions]] = [
        (
            "fp16 x int8 MAC (reference)",
            MacConfig(a_format="fp16", w_format="int8", max_terms=128),
            VerifyOptions(vectors=args.reference_vectors, exhaustive=False, waves=Waves.NEVER),
        ),
        (
            "bitmod_pe exact",
            BitmodPEConfig(mode="exact"),
            VerifyOptions(vectors=args.vectors, waves=Waves.NEVER),
        ),
        (
            "bitmod_pe narrow",
            BitmodPEConfig(mode="narrow"),
            VerifyOptions(vectors=args.vectors, waves=Waves.NEVER),
        ),
        (
            "bitmod_array 4x4 exact",
            BitmodArrayConfig(pe=BitmodPEConfig(mode="exact"), rows=4, cols=4),
            VerifyOptions(vectors=args.vectors, waves=Waves.NEVER),
        ),
        (
            "bitmod_array 4x4 narrow",
            BitmodArrayConfig(pe=BitmodPEConfig(mode="narrow"), rows=4, cols=4),
            VerifyOptions(vectors=args.vectors, waves=Waves.NEVER),
        ),
    ]
    rows = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hwgen_bench_") as tmp:
        for label, cfg, opts in designs:
            d = Path(tmp) / cfg.name
            emit(cfg, d)
            r = verify(d, opts, build_root=Path(tmp) / "build")
            assert r.passed, r.summary()
            rows.append(
                (
                    label,
                    r.lanes,
                    r.checks,
                    r.checks_per_second,
                    r.loop_checks_per_second,
                    r.loop_cpu_checks_per_second,
                )
            )
            phases = ", ".join(f"{n} {c:,}" for n, c in r.phases)
            print(
                f"  {label}: build {r.build_seconds:.0f} s, run {r.run_seconds:.1f} s, clock loop"
                f" {r.loop_seconds:.2f} s ({r.loop_cpu_seconds:.2f} CPU s); {phases}",
                flush=True,
            )
    ref = rows[0][3:]
    print(
        f"{'design':26} {'lanes':>5} {'checks':>9} {'MAC/s run':>10} {'MAC/s loop':>10} "
        f"{'MAC/cpu-s':>10} {'x run':>6} {'x loop':>6} {'x cpu':>6}"
    )
    for label, lanes, checks, *rates in rows:
        run, loop, cpu = rates
        x = [v / r if r > 0 else 0.0 for v, r in zip(rates, ref, strict=True)]
        print(
            f"{label:26} {lanes:>5} {checks:>9,} {run:>10,.0f} {loop:>10,.0f} {cpu:>10,.0f} "
            f"{x[0]:>6.3f} {x[1]:>6.3f} {x[2]:>6.3f}"
        )
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
