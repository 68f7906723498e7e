"""Conversion throughput: float32 -> format -> float32, hwgen vs ml_dtypes vs pychop.

All three run in the same process on the same 10M float32 values, so the ratios are
meaningful on a noisy machine. Each figure is the best of ``--repeat`` runs.

    .venv/bin/python bench/bench_formats.py [--n 10000000] [--repeat 3]

pychop's ``Chop(exp_bits, sig_bits)`` reserves the top exponent IEEE-style, so it is the
nearest analogue rather than a bit-exact OCP conversion (its "E4M3" tops out at 240); the
BitMoD mixture has no counterpart in either library, so its row is measured against the
ml_dtypes FP4 round trip as the speed-class reference.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import ml_dtypes
import numpy as np

from hwgen import formats
from hwgen.quant import quantize_bitmod

OCP = {
    "fp8_e4m3": (ml_dtypes.float8_e4m3fn, (4, 3)),
    "fp8_e5m2": (ml_dtypes.float8_e5m2, (5, 2)),
    "fp6_e3m2": (ml_dtypes.float6_e3m2fn, (3, 2)),
    "fp6_e2m3": (ml_dtypes.float6_e2m3fn, (2, 3)),
    "fp4_e2m1": (ml_dtypes.float4_e2m1fn, (2, 1)),
}


def best_seconds(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm caches and lookup tables outside the timed runs
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000, help="values per conversion")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per figure (best kept)")
    ap.add_argument("--no-pychop", action="store_true", help="skip the (slow) pychop column")
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    x = (rng.standard_normal(args.n) * 4).astype(np.float32)
    rows = []
    for name, (ml_t, (e, m)) in OCP.items():
        fmt = formats.get(name)

        def hw(fmt=fmt):
            return fmt.decode(fmt.encode(x), dtype=np.float32)

        def ml(ml_t=ml_t):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return x.astype(ml_t).astype(np.float32)

        exact = np.array_equal(hw(), ml(), equal_nan=True)
        t_hw, t_ml = best_seconds(hw, args.repeat), best_seconds(ml, args.repeat)
        t_pc = float("nan")
        if not args.no_pychop:
            from pychop import Chop

            chop = Chop(exp_bits=e, sig_bits=m, chunk_size=args.n)
            t_pc = best_seconds(lambda chop=chop: chop(x), args.repeat)
        rows.append((name, t_hw, t_ml, t_pc, "yes" if exact else "NO"))

    groups = x[: args.n // 128 * 128].reshape(-1, 128)
    for mix in ("bitmod_fp4", "bitmod_fp3"):
        mixture = formats.get(mix)
        t_hw = best_seconds(
            lambda m=mixture: quantize_bitmod(groups, m, group_size=128), args.repeat
        )
        t_ref = best_seconds(
            lambda: x.astype(ml_dtypes.float4_e2m1fn).astype(np.float32), args.repeat
        )
        rows.append((mix, t_hw, t_ref, float("nan"), "n/a (ref: ml_dtypes fp4 round trip)"))

    mvals = args.n / 1e6
    head = (
        f"{'format':<11} {'hwgen Mval/s':>12} {'ml_dtypes':>10} {'pychop':>8} "
        f"{'hwgen/ml_dtypes':>15} {'hwgen/pychop':>12}  bit-exact vs ml_dtypes"
    )
    print(f"{args.n:,} float32 values, round trip through the format, best of {args.repeat}")
    print(head)
    print("-" * len(head))
    for name, t_hw, t_ml, t_pc, exact in rows:
        print(
            f"{name:<11} {mvals / t_hw:12.1f} {mvals / t_ml:10.1f} {mvals / t_pc:8.1f} "
            f"{t_ml / t_hw:14.2f}x {t_pc / t_hw:11.1f}x  {exact}"
        )


if __name__ == "__main__":
    main()
