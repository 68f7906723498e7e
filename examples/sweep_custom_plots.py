"""Custom plots from a sweep's results: your own Pareto front and a per-class comparison.

Reads ``results.parquet`` of a finished sweep (``--results DIR``), or first runs a fast
sweep (``examples/sweep_small.toml`` narrowed to generate, the generic gate flow and the
operand accuracy) into ``--out``. Then:

1. a front hwgen does not draw by default -- flip-flops against weight SQNR -- with
   :class:`hwgen.sweep.pareto.Front`, :func:`~hwgen.sweep.pareto.add_pareto_flags` and
   hwgen's own renderer (:func:`hwgen.sweep.plot.render_front`: class colours and
   markers, the front drawn, labels, units);
2. a matplotlib bar chart of the cheapest design of each design class, in hwgen's class
   colours (:data:`hwgen.sweep.plot.CLASS_STYLES`).

Run: ``python examples/sweep_custom_plots.py --out /tmp/custom_plots`` (or ``--results
rtl_out/demo`` after ``hwgen demo``).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from hwgen.sweep import RunOptions, load_spec, run_sweep
from hwgen.sweep.pareto import Front, add_pareto_flags
from hwgen.sweep.plot import CLASS_STYLES, render_front

SPEC = Path(__file__).with_name("sweep_small.toml")


def _results(results: Path | None, out: Path) -> pd.DataFrame:
    if results is not None:
        return pd.read_parquet(results / "results.parquet")
    spec = load_spec(SPEC)
    keep = ("generate", "cost.generic", "accuracy")
    spec = dataclasses.replace(
        spec, name="custom-plots", stages=tuple(i for i in spec.stages if i.name in keep)
    )
    return run_sweep(spec, out / "sweep", RunOptions(jobs=2, progress="none")).table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="output directory (default: temp)")
    ap.add_argument("--results", type=Path, default=None, help="a finished sweep's directory")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="hwgen_custom_plots_"))
    out.mkdir(parents=True, exist_ok=True)
    table = _results(args.results, out)
    ffs = next(c for c in ("asic_ffs", "generic_ffs", "ice40_ffs") if c in table.columns)

    # 1. A custom front: flip-flops against the weight quantization error.
    front = Front(
        name="ffs",
        flag="pareto_ffs",
        cost=ffs,
        cost_lower=True,
        error="quant_w_rel_mse",
        cost_label=f"flip-flops ({ffs.split('_')[0]} flow)",
        error_label="weight quantization error (rel. MSE)",
    )
    flagged = add_pareto_flags(table, (front,))
    images = render_front(flagged, front, "flip-flops vs weight error")
    for ext, data in images.items():
        (out / f"pareto_ffs.{ext}").write_bytes(data)
    on_front = flagged[flagged["pareto_ffs"].fillna(False).astype(bool)]
    print("flip-flop front:")
    print(on_front[["design", ffs, "quant_w_rel_mse"]].to_string(index=False))

    # 2. The cheapest design of each class by operand SQNR, in hwgen's class colours.
    best = (
        table.dropna(subset=["quant_operand_sqnr_db"])
        .sort_values("quant_operand_sqnr_db", ascending=False)
        .groupby("design_class", sort=True)
        .head(1)
    )
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    colours = [CLASS_STYLES[c].color for c in best["design_class"]]
    ax.bar(best["design"], best["quant_operand_sqnr_db"], color=colours)
    ax.set_ylabel("operand SQNR (dB)")
    ax.set_title("most accurate design per class")
    ax.tick_params(axis="x", labelrotation=20, labelsize=7)
    fig.tight_layout()
    fig.savefig(out / "best_per_class.png", metadata={"Software": None})
    plt.close(fig)
    print(
        f"plots: {out / 'pareto_ffs.png'}, {out / 'pareto_ffs.svg'}, {out / 'best_per_class.png'}"
    )


if __name__ == "__main__":
    main()
