"""Design-accuracy GEMM speed: hwgen.accuracy against reference GEMMs in the same run.

For each design, the time of :func:`hwgen.accuracy.gemm_error` on an M x K x N GEMM
(synthetic Student-t activations with outlier channels, Gaussian weights) next to two
references measured in the same process on the same operands:

* ``float64``: quantizing both operands plus the float64 GEMM of the dequantized values
  (the floor of any approach; not the hardware's arithmetic);
* ``golden int64``: :func:`hwgen.golden.gemm` on the codes (exact, numpy int64 ``@``),
  measured for the per-channel INT8 design only.

Float accumulators run with both steppers (``values``, the default, and ``golden``) so
their ratio is measured in the same run; the narrow BitMoD PE runs the golden PE model.
The default shape of the sweep's gemm_accuracy workload is ``--m 128 --k 1024 --n 256``.

    .venv/bin/python bench/bench_accuracy.py [--m 128] [--k 1024] [--n 1024] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from hwgen.accuracy import (
    ActivationQuant,
    BitmodNarrowGemm,
    FixedPointAccumulator,
    FloatAccumulator,
    GemmDesign,
    SyntheticActivations,
    WeightQuant,
    gemm_error,
    synthetic_weights,
)
from hwgen.accuracy.operands import quantize_activations, quantize_weights
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.golden import gemm
from hwgen.golden.bitmod import quantize_weights as pe_weights


def best_seconds(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm lookup tables and caches outside the timed runs
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def designs() -> dict[str, GemmDesign | BitmodNarrowGemm]:
    def d(a, w, *, scaling="per-token", scheme=None, group=None, acc=None, mult="exact"):
        kw = {"accumulator": acc} if acc is not None else {}
        return GemmDesign(
            activations=ActivationQuant(format=a, scaling=scaling),
            weights=WeightQuant(format=w, scheme=scheme, group_size=group),
            multiplier=mult,
            **kw,
        )

    return {
        "int8 x int8 per-channel": d("int8", "int8", group="channel"),
        "fp8_e4m3 x int4 g128": d("fp8_e4m3", "int4"),
        "mxfp8 x mxfp4": d("fp8_e4m3", "fp4_e2m1", scaling="mx", scheme="mx"),
        "fp16 x bitmod_fp4": d("fp16", "bitmod_fp4", scaling="none"),
        "fp8_e4m3 x fp8_e4m3 L-Mul": d("fp8_e4m3", "fp8_e4m3", mult="lmul"),
        "int8 x int8 acc20 wrap": d(
            "int8", "int8", group="channel", acc=FixedPointAccumulator(bits=20)
        ),
        "int8 x int8 acc20 saturate": d(
            "int8", "int8", group="channel", acc=FixedPointAccumulator(bits=20, overflow="saturate")
        ),
        "int8 x int8 acc16 saturate": d(
            "int8", "int8", group="channel", acc=FixedPointAccumulator(bits=16, overflow="saturate")
        ),
        "fp8_e4m3 x int4 fp32 acc": d("fp8_e4m3", "int4", acc=FloatAccumulator.of("fp32")),
        "fp8_e4m3 x int4 bf16 acc": d("fp8_e4m3", "int4", acc=FloatAccumulator.of("bf16")),
        "fp8_e4m3 x int4 bf16 acc golden": d(
            "fp8_e4m3", "int4", acc=FloatAccumulator.of("bf16", stepper="golden")
        ),
        "fp8_e4m3 x int4 bf16 unfused": d(
            "fp8_e4m3", "int4", acc=FloatAccumulator.of("bf16", "unfused")
        ),
        "fp16 x bitmod_fp4 narrow PE": BitmodNarrowGemm(
            pe=BitmodPEConfig(mode="narrow"),
            weight_format="bitmod_fp4",
            activations=ActivationQuant(format="fp16"),
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--m", type=int, default=128)
    ap.add_argument("--k", type=int, default=1024)
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per figure (best kept)")
    args = ap.parse_args()
    a = SyntheticActivations(dist="student-t-outliers", tokens=args.m).sample(args.k)
    w = synthetic_weights("gaussian", args.k, args.n)
    print(f"GEMM {args.m} x {args.k} x {args.n}, best of {args.repeat}")
    print(f"{'design':30s} {'sqnr_db':>8s} {'hwgen s':>8s} {'float64 s':>9s} {'ratio':>6s}")
    for name, design in designs().items():
        res = gemm_error(a, w, design)
        ours = best_seconds(lambda design=design: gemm_error(a, w, design), args.repeat)

        def reference(design=design) -> np.ndarray:
            qa = quantize_activations(a, design.activations)
            if isinstance(design, BitmodNarrowGemm):
                pw = pe_weights(w.T, design.weight_format, group_size=design.pe.group_size)
                return qa.dequant @ pw.dequant().T
            qw = quantize_weights(w, design.weights)
            return qa.dequant @ qw.dequant

        ref = best_seconds(reference, args.repeat)
        print(f"{name:30s} {res.sqnr_db:8.2f} {ours:8.3f} {ref:9.3f} {ours / ref:6.2f}")
    d = designs()["int8 x int8 per-channel"]
    assert isinstance(d, GemmDesign)
    qa, qw = quantize_activations(a, d.activations), quantize_weights(w, d.weights)
    gold = best_seconds(lambda: gemm("int8", qa.index, "int8", qw.index), args.repeat)
    ours = best_seconds(lambda: gemm_error(a, w, d), args.repeat)
    print(
        f"\nint8 per-channel: golden int64 gemm of the codes {gold:.3f} s,"
        f" hwgen.accuracy end to end {ours:.3f} s (ratio {ours / gold:.2f})"
    )


if __name__ == "__main__":
    main()
