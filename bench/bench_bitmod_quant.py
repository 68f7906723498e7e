"""Quantization error of BitMoD's FP4/FP3 mixtures against INT, FP and flint formats.

Every format at the same group size (128 along the last dimension), through
:func:`hwgen.quant.rank_formats` (the engine of ``hwgen quant-error``): ``int4`` / ``int3``
symmetric absmax (scale = absmax / 7 or / 3), ``fp4_e2m1``, ``fp3_e2m0`` and ``flint4``
absmax, ``bitmod_fp4`` / ``bitmod_fp3`` with BitMoD's per-group variant choice and INT8
second-level scales. ``int4 asym`` / ``int3 asym`` are min-max asymmetric INT (scale =
(max - min) / (2**b - 1), integer zero point, float scales), computed here because
hwgen.quant has no asymmetric scheme.

Tensor sets: seeded synthetic Gaussian, Laplace and Student-t (df 3) tensors
(:func:`hwgen.quant.synthetic_tensors`), Student-t (df 4) with 1 % outlier input channels
x6, and a weight file: no real model file ships with hwgen or is available offline, so a
*generated* bf16 safetensors file (transformer-shaped Student-t layers with outlier channels)
is written to a temporary directory and read back through :func:`hwgen.quant.load_tensors`.
``rel_mse`` is the mean over tensors of ``||W - Q(W)||^2 / ||W||^2``; SQNR = -10 log10.

``--weights FILE`` adds a column for a real weight file (``.safetensors`` / ``.npy`` /
``.npz``): its 2-d tensors whose last dimension is a multiple of the group size, e.g. the
LSTM matrices of Silero VAD (``pip download --no-deps silero-vad``, MIT licence; the wheel
holds ``silero_vad/data/silero_vad_16k.safetensors``).

Run: ``python bench/bench_bitmod_quant.py [--small] [--weights FILE]`` (``--small``: small
tensors, for the test suite).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from hwgen.quant import load_tensors, rank_formats, synthetic_tensors

SYMMETRIC = ("bitmod_fp4", "flint4", "fp4_e2m1", "int4", "bitmod_fp3", "fp3_e2m0", "int3")
ASYMMETRIC = (4, 3)
GROUP = 128
ROWS = ("bitmod_fp4", "int4 asym", "flint4", "fp4_e2m1", "int4")
ROWS3 = ("bitmod_fp3", "int3 asym", "fp3_e2m0", "int3")


def asym_rel_mse(w: np.ndarray, bits: int, group: int) -> float:
    """rel_mse of min-max asymmetric INT-``bits`` quantization in groups along the last axis."""
    x = np.asarray(w, dtype=np.float64).reshape(-1, group)
    lo, hi = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
    levels = (1 << bits) - 1
    scale = np.where(hi > lo, (hi - lo) / levels, 1.0)
    zero = np.round(-lo / scale)
    q = np.clip(np.round(x / scale) + zero, 0, levels)
    err = ((q - zero) * scale - x) ** 2
    return float(err.sum() / (x**2).sum())


def outlier_tensors(seed: int, shapes: tuple[tuple[int, int], ...]) -> dict[str, np.ndarray]:
    """Student-t (df 4) weights, 1 % of the input channels (columns) scaled x6."""
    rng = np.random.default_rng(seed)
    out = {}
    for i, (r, c) in enumerate(shapes):
        w = rng.standard_t(4, size=(r, c)) * 0.02
        w[:, rng.choice(c, max(1, c // 100), replace=False)] *= 6
        out[f"w{i}_{r}x{c}"] = w.astype(np.float32)
    return out


def write_weight_file(path: Path, shapes: tuple[tuple[int, int], ...]) -> None:
    """A generated bf16 safetensors file of Student-t layers with outlier channels."""
    import ml_dtypes
    from safetensors.numpy import save_file

    t = outlier_tensors(11, shapes)
    names = ("q_proj", "k_proj", "v_proj", "o_proj", "up_proj", "down_proj")
    save_file(
        {
            f"layers.0.{names[i % len(names)]}.weight": v.astype(ml_dtypes.bfloat16)
            for i, v in enumerate(t.values())
        },
        str(path),
    )


def error_table(tensors: dict[str, np.ndarray]) -> dict[str, float]:
    """Format label -> rel_mse (mean over tensors) at group size :data:`GROUP`."""
    df = rank_formats(tensors, SYMMETRIC, group_size=GROUP)
    out = {str(r.format): float(r.rel_mse) for r in df.itertuples()}
    for b in ASYMMETRIC:
        vals = [asym_rel_mse(w, b, GROUP) for w in tensors.values()]
        out[f"int{b} asym"] = float(np.mean(vals))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--small", action="store_true", help="small tensors (test suite)")
    p.add_argument("--weights", help="a real weight file: its 2-d tensors with K % 128 == 0")
    args = p.parse_args()
    t0 = time.perf_counter()
    shapes = ((64, 256), (128, 256)) if args.small else ((256, 1024), (1024, 256), (512, 512))
    file_shapes = (
        ((64, 256), (256, 128))
        if args.small
        else ((1024, 1024), (256, 1024), (256, 1024), (1024, 1024), (2816, 1024), (1024, 2816))
    )
    sets: dict[str, dict[str, np.ndarray]] = {
        "gaussian": synthetic_tensors("gaussian", 0, shapes),
        "laplace": synthetic_tensors("laplace", 0, shapes),
        "student-t3": synthetic_tensors("student-t", 0, shapes),
        "t4+outlier ch": outlier_tensors(3, shapes),
    }
    with tempfile.TemporaryDirectory(prefix="hwgen-bench-bitmod-quant-") as tmp:
        f = Path(tmp) / "generated_layers.safetensors"
        write_weight_file(f, file_shapes)
        sets["file (generated)"] = load_tensors(f)
    if args.weights:
        real = {
            k: np.asarray(t, dtype=np.float64)
            for k, t in load_tensors(args.weights).items()
            if t.ndim == 2 and t.shape[1] % GROUP == 0
        }
        if not real:
            raise SystemExit(f"{args.weights}: no 2-d tensor with K % {GROUP} == 0")
        print(f"{Path(args.weights).name}: {', '.join(f'{k} {v.shape}' for k, v in real.items())}")
        sets["file " + Path(args.weights).stem[:13]] = real
    tables = {name: error_table(t) for name, t in sets.items()}
    cols = list(tables)
    print(f"group size {GROUP}; rel_mse (SQNR dB); ratio = rel_mse / bitmod's of the same bits")
    print(f"{'format':<12}" + "".join(f" {c:>22}" for c in cols))
    for block in (ROWS, ROWS3):
        ref = block[0]
        for fmt in block:
            cells = []
            for c in cols:
                r = tables[c][fmt]
                cells.append(f" {r:.3e} ({-10 * math.log10(r):4.1f}) {r / tables[c][ref]:4.2f}x")
            print(f"{fmt:<12}" + "".join(f"{s:>23}" for s in cells))
        print()
    order = {c: sorted(tables[c], key=tables[c].__getitem__) for c in cols}
    for c in cols:
        print(f"{c:<18} best first: {', '.join(order[c])}")
    print(f"({time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
