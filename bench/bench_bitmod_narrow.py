"""Error of the BitMoD PE's narrow mode against its exact mode, on quantized GEMMs.

For each weight distribution (Gaussian, Laplace, Student-t with 3 degrees of freedom; or
every 2-d tensor of ``--weights FILE``) and weight datatype, weights ``W[N, K]`` are
quantized with :func:`hwgen.golden.bitmod.quantize_weights` (``bitmod_fp4`` / ``bitmod_fp3``
through ``quantize_bitmod`` with INT8 second-level scales; INT types by absmax groups), FP16
activations ``A[M, K]`` are Gaussian, and ``Y = A @ W.T`` is computed by the bit-exact
golden model of the PE in both modes (:func:`hwgen.golden.bitmod.gemm_from_floats`).

Columns (all relative RMS over every output, ``||y - y_exact|| / ||y_exact||``):

- ``narrow``: the narrow PE (BitMoD-like floor truncation everywhere) against the exact PE
  (exact = float64 of the exact value);
- ``nearest``: the same with ``acc_rounding="nearest"`` (the accumulator normalisation
  rounds half up);
- ``fp16_round``: the exact result rounded to FP16, the reference measured in the same run
  (what any FP16 output costs at least);
- ``ratio``: ``narrow / fp16_round``;
- ``max_rel`` / ``bias``: largest ``|y - y_exact|`` / mean signed error of ``narrow``, over
  ``rms(y_exact)``; ``bias_rn``: the mean signed error of ``nearest``;
- ``quant``: the quantization error itself, exact PE against ``A @ W_float.T`` (context).

Run: ``python bench/bench_bitmod_narrow.py [--m 16 --n 64 --k 1024] [--weights FILE]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.formats import get
from hwgen.golden.bitmod import gemm_from_floats, quantize_weights

TYPES = ("bitmod_fp4", "bitmod_fp3", "int8", "int6", "int4")


def _weights(dist: str, rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    if dist == "gaussian":
        return rng.standard_normal((n, k))
    if dist == "laplace":
        return rng.laplace(size=(n, k))
    return rng.standard_t(3, size=(n, k))


def _rel(y: np.ndarray, ref: np.ndarray) -> float:
    return float(np.linalg.norm(y - ref) / np.linalg.norm(ref))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--k", type=int, default=1024)
    p.add_argument("--group-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", help=".npy/.npz/.safetensors file (2-d tensors, K % G == 0)")
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    g = args.group_size
    exact = BitmodPEConfig(group_size=g)
    narrow = BitmodPEConfig(group_size=g, mode="narrow")
    nearest = BitmodPEConfig(group_size=g, mode="narrow", acc_rounding="nearest")
    fp16 = get("fp16")
    sources: list[tuple[str, np.ndarray]] = []
    if args.weights:
        from hwgen.quant import load_tensors

        for name, t in load_tensors(args.weights).items():
            if t.ndim == 2 and t.shape[1] % g == 0:
                sources.append((name, np.asarray(t, dtype=np.float64)[: args.n]))
    else:
        for dist in ("gaussian", "laplace", "student_t3"):
            sources.append((dist, _weights(dist, rng, args.n, args.k)))
    shapes = sorted({f"{w.shape[0]} x {w.shape[1]}" for _, w in sources})
    print(
        f"M={args.m} (N x K) {', '.join(shapes)} G={g}; narrow widths: lanes {narrow.lane_bits},"
        f" tree {narrow.tree_bits}, acc mantissa {narrow.acc_bits},"
        f" dequant {narrow.out_man_bits}"
    )
    hdr = f"{'weights':<12} {'type':<11} {'narrow':>10} {'nearest':>10} {'fp16_round':>10}"
    hdr += f" {'ratio':>7} {'ratio_rn':>8} {'max_rel':>10} {'bias':>10} {'bias_rn':>10}"
    hdr += f" {'quant':>10}"
    print(hdr)
    print("-" * len(hdr))
    t0 = time.perf_counter()
    for name, w in sources:
        a = fp16.encode(rng.standard_normal((args.m, w.shape[1])).astype(np.float32))
        y_float = fp16.values()[a] @ w.T
        for wtype in TYPES:
            pw = quantize_weights(w, wtype, group_size=g)
            _, y_e = gemm_from_floats(exact, a, pw)
            _, y_n = gemm_from_floats(narrow, a, pw)
            _, y_r = gemm_from_floats(nearest, a, pw)
            rms = float(np.sqrt(np.mean(y_e**2)))
            y16 = y_e.astype(np.float16).astype(np.float64)
            r_n, r_r, r_16 = _rel(y_n, y_e), _rel(y_r, y_e), _rel(y16, y_e)
            print(
                f"{name[-12:]:<12} {wtype:<11} {r_n:10.3e} {r_r:10.3e} {r_16:10.3e}"
                f" {r_n / r_16:7.2f} {r_r / r_16:8.2f} {np.abs(y_n - y_e).max() / rms:10.3e}"
                f" {np.mean(y_n - y_e) / rms:10.3e} {np.mean(y_r - y_e) / rms:10.3e}"
                f" {_rel(y_e, y_float):10.3e}"
            )
    print(f"({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
