"""Run a sweep from Python, then rank and plot its results your own way.

Loads ``examples/sweep_small.toml``, narrows it to the fast stages (no simulation, the
generic gate flow only) with :func:`dataclasses.replace`, runs it, prints the Pareto front
and draws a custom plot (weight SQNR against flip-flops) from the results table. Run:
``python examples/sweep_api.py --out /tmp/sweep_api``.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from hwgen.sweep import RunOptions, load_spec, run_sweep

SPEC = Path(__file__).with_name("sweep_small.toml")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="output directory (default: temp)")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="hwgen_sweep_api_"))

    spec = load_spec(SPEC)
    # Keep generate, lint, the generic cost and accuracy; drop simulation and the FPGA flow.
    keep = [i for i in spec.stages if i.name in ("generate", "lint", "cost.generic", "accuracy")]
    spec = dataclasses.replace(spec, name="small-api", stages=tuple(keep))
    result = run_sweep(spec, out / "sweep", RunOptions(jobs=2, progress="none"))

    table = result.table
    front = table[table["pareto_area"]].sort_values("generic_transistors")
    print(front[["design", "generic_transistors", "quant_operand_sqnr_db"]].to_string(index=False))

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for cls, part in table.groupby("design_class"):
        ax.scatter(part["generic_ffs"], part["quant_w_sqnr_db"], label=cls)
    ax.set_xlabel("flip-flops (Yosys generic flow)")
    ax.set_ylabel("weight quantization SQNR (dB)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "ffs_vs_weight_sqnr.png", metadata={"Software": None})
    print(f"results: {result.paths['results_csv']}")
    print(f"custom plot: {out / 'ffs_vs_weight_sqnr.png'}")


if __name__ == "__main__":
    main()
