"""Verification speed: MAC checks per second on Verilator, Icarus and the Amaranth simulator.

Prints one table:

* MAC checks/s for the same INT8 x INT8 MAC and the same random vectors on Verilator and
  Icarus (cocotb driving the multi-lane harness with the lane count ``hwgen verify`` uses)
  and on Amaranth's Python simulator (the MAC component clocked once per vector), with
  each rate's ratio to Verilator's in this run. Rates are per second of clock loop
  (simulator start-up, packing and golden model excluded; the start-up is listed
  separately);
* the wall time (after the build) of the exhaustive E4M3 x E4M3 check: 65,536 operand
  pairs, golden model, simulation and scoring;
* GEMM MAC checks/s and per minute on an 8 x 8 INT8 array (Verilator);
* the ratio of each Verilator rate to ~22M INT8 MAC checks/s, the rate of a bare Verilator
  C++ harness with a C++ golden model on one core of this machine class.

Run: ``.venv/bin/python bench/bench_verify.py [--quick] [--build-dir DIR]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from hwgen.emit import emit
from hwgen.manifest import Manifest
from hwgen.rtl.array import ArrayConfig
from hwgen.rtl.config import MacConfig
from hwgen.sim.expect import Arithmetic, mac_expected
from hwgen.sim.runner import Simulator
from hwgen.sim.stimulus import MacStimulus, exhaustive_pairs, random_accumulation
from hwgen.verify import MAC_LANES, Waves, check, verify

RAW_VERILATOR_CHECKS_PER_S = 22e6
"""Bare Verilator C++ INT8 MAC checks per second (C++ harness and golden model, one core)."""
LANES = MAC_LANES["verilator"]


def amaranth_rate(design_dir: Path, stim: MacStimulus) -> tuple[float, int, int]:
    """Clock the MAC component in Amaranth's simulator over ``stim``.

    Returns (seconds, checks, mismatches). The lanes are run one after another on one
    unit (every lane starts with a clear, so the flat sequence is the same computation).
    """
    from amaranth.sim import Simulator as AmaranthSimulator

    man = Manifest.load(design_dir)
    dut = MacConfig.from_dict(dict(man.config)).create()
    a, w = stim.a.ravel().tolist(), stim.w.ravel().tolist()
    valid = stim.valid.ravel().astype(int).tolist()
    clear = stim.clear.ravel().astype(int).tolist()
    n = len(a)
    lat = man.latency
    got: list[int] = []

    async def bench(ctx) -> None:
        for t in range(n + lat):
            if t < n:
                ctx.set(dut.a, a[t])
                ctx.set(dut.w, w[t])
                ctx.set(dut.valid, valid[t])
                ctx.set(dut.clear, clear[t])
            else:
                ctx.set(dut.valid, 0)
                ctx.set(dut.clear, 0)
            await ctx.tick()
            got.append(ctx.get(dut.acc))

    sim = AmaranthSimulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    t0 = time.perf_counter()
    sim.run()
    seconds = time.perf_counter() - t0
    expected = mac_expected(Arithmetic.of(man), stim).acc.ravel()
    # After the k-th tick acc includes the product driven before tick k - lat + 1.
    observed = np.asarray(got[lat - 1 : lat - 1 + n], dtype=np.int64)
    return seconds, n, int(np.count_nonzero(observed != expected))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer vectors (about a minute)")
    p.add_argument("--build-dir", type=Path, default=Path("sim_build"), help="build cache")
    args = p.parse_args(argv)
    vectors = 1 << 16 if args.quick else 1 << 18
    gemm_macs = 1 << 20 if args.quick else 1 << 23
    root = args.build_dir
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-") as tmp:
        int8 = Path(tmp) / "int8"
        emit(MacConfig(a_format="int8", w_format="int8"), int8)
        man = Manifest.load(int8)
        arith = Arithmetic.of(man)

        def stimulus(lanes: int) -> MacStimulus:
            return random_accumulation(
                arith.a, arith.w, lanes=lanes, cycles=vectors // lanes,
                max_terms=man.accumulator.max_terms, rng=np.random.default_rng(0),
            )  # fmt: skip

        rates: dict[str, float] = {}
        startup: dict[str, float] = {}
        # Each simulator runs at the lane count `hwgen verify` gives it (its fastest).
        for sim in (Simulator.VERILATOR, Simulator.ICARUS):
            stim = stimulus(MAC_LANES[sim.value])
            check(int8, stim, sim=sim, build_root=root, waves=Waves.NEVER)  # build / warm
            r = check(int8, stim, sim=sim, build_root=root, waves=Waves.NEVER)
            if not r.passed:
                print(r.summary(), file=sys.stderr)
                return 1
            rates[str(sim)] = r.loop_checks_per_second
            startup[str(sim)] = r.run_seconds - r.loop_seconds
        stim = stimulus(LANES)
        secs, n, bad = amaranth_rate(int8, stim)
        if bad:
            print(f"amaranth simulator: {bad} mismatches", file=sys.stderr)
            return 1
        rates["amaranth"] = n / secs
        for name, rate in rates.items():
            extra = f", + {startup[name]:.2f} s start-up" if name in startup else ""
            rows.append(
                (
                    f"MAC checks/s, {name} (int8 x int8, {n:,} vectors"
                    + (f", {MAC_LANES[name]} lanes)" if name in MAC_LANES else ")"),
                    f"{rate:,.0f}",
                    f"{rate / rates['verilator']:.4f} x verilator{extra}",
                )
            )
        v_rate = rates["verilator"]
        rows.append(
            ("  vs raw Verilator C++ (~22M/s)", "", f"{v_rate / RAW_VERILATOR_CHECKS_PER_S:.4f}")
        )

        e4m3 = Path(tmp) / "e4m3"
        emit(MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3"), e4m3)
        ea = Arithmetic.of(Manifest.load(e4m3))
        ex = exhaustive_pairs(ea.a, ea.w, lanes=LANES)
        check(e4m3, ex, build_root=root, waves=Waves.NEVER)  # build
        t0 = time.perf_counter()
        r = check(e4m3, ex, build_root=root, waves=Waves.NEVER)
        wall = time.perf_counter() - t0
        if not r.passed:
            print(r.summary(), file=sys.stderr)
            return 1
        rows.append(
            (
                "exhaustive fp8_e4m3 x fp8_e4m3 (65,536 pairs), wall after build",
                f"{wall:.2f} s",
                f"sim {r.run_seconds:.2f} s, golden+score {r.check_seconds:.2f} s",
            )
        )

        arr = Path(tmp) / "array"
        emit(ArrayConfig(mac=MacConfig(a_format="int8", w_format="int8"), rows=8, cols=8), arr)
        verify(arr, vectors=1 << 12, stress=False, build_root=root, waves=Waves.NEVER)  # build
        r = verify(arr, vectors=gemm_macs, stress=False, build_root=root, waves=Waves.NEVER)
        if not r.passed:
            print(r.summary(), file=sys.stderr)
            return 1
        g = r.loop_checks_per_second
        rows.append(
            (
                f"GEMM MAC checks/s, 8x8 int8 array ({r.checks:,} MACs)",
                f"{g:,.0f}",
                f"{g * 60 / 1e6:,.1f} M/min; {r.checks_per_second * 60 / 1e6:,.1f} M/min "
                f"with {r.run_seconds - r.loop_seconds:.2f} s start-up",
            )
        )
        rows.append(
            ("  vs raw Verilator C++ (~22M/s)", "", f"{g / RAW_VERILATOR_CHECKS_PER_S:.4f}")
        )
    width = max(len(r[0]) for r in rows)
    vw = max(len(r[1]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>{vw}}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>{vw}}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
