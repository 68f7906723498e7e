"""Rank INT, minifloat and BitMoD formats by quantization error on a weight file.

Writes a small heavy-tailed "layer" to ``<out>/weights.npz`` (as a real model export would
be), then ranks formats the way ``hwgen quant-error --weights`` does and saves the table as
CSV. Run: ``python examples/rank_formats.py --out /tmp/ranking``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from hwgen import formats
from hwgen.quant import load_tensors, quantize_bitmod, rank_formats

FORMATS = ["int4", "fp4_e2m1", "flint4", "bitmod_fp4", "int3", "fp3_e2m0", "bitmod_fp3", "fp8_e4m3"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="output directory (default: temp)")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="hwgen_rank_"))
    out.mkdir(parents=True, exist_ok=True)

    rng = np.random.default_rng(7)
    # Student-t weights with a few outlier input channels, like LLM projection layers.
    w = (rng.standard_t(df=4, size=(512, 1024)) * 0.02).astype(np.float32)
    w[:, rng.choice(1024, 8, replace=False)] *= 6
    np.savez(out / "weights.npz", **{"layer0.q_proj.weight": w})

    tensors = load_tensors(out / "weights.npz")
    table = rank_formats(tensors, FORMATS, group_size=128)
    table.to_csv(out / "ranking.csv", index=False)
    print(table.to_string(index=False))

    # Which BitMoD FP4 variant did the groups pick? (selector = index into the variants)
    mix = formats.get("bitmod_fp4")
    sel = quantize_bitmod(w, mix, group_size=128).selector
    counts = np.bincount(sel.ravel(), minlength=len(mix.variants))
    for variant, n in zip(mix.variants, counts, strict=True):
        print(f"{variant.name:<20} {n:5d} groups")
    print(f"wrote {out / 'ranking.csv'}")


if __name__ == "__main__":
    main()
