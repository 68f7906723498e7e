"""The demo job: generate -> verify -> cost for a few MAC designs, then a Pareto plot.

A deliberately small, fixed sweep that shows the whole flow end to end on one machine:
every design is emitted (:func:`hwgen.emit.emit`), checked bit-exactly against the golden
model on Verilator (:func:`hwgen.verify.verify`), synthesized with Yosys' generic gate flow
(:func:`hwgen.costmodel.synth.synthesize`, transistor count from ``stat -tech cmos``) and paired
with the quantization SQNR of its weight format. The Pareto front is taken over
(transistors: lower is better, weight SQNR: higher is better).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hwgen.errors import HwgenError


@dataclass(frozen=True, slots=True)
class DesignResult:
    """One evaluated MAC design (units in the field names; ``area_source`` is provenance)."""

    design: str
    a_format: str
    w_format: str
    acc_bits: int
    verified: bool
    checks: int
    mismatches: int
    cells: int
    transistors: int
    area_source: str
    weight_sqnr_db: float


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """``"int8:int8,fp4_e2m1:fp4_e2m1"`` -> ``[("int8", "int8"), ...]`` (names checked)."""
    from hwgen.formats import get_format

    pairs = []
    for item in text.split(","):
        parts = [p.strip() for p in item.split(":")]
        if len(parts) != 2 or not all(parts):
            raise HwgenError(f"design pair {item.strip()!r} is not ACT:WEIGHT (e.g. fp8_e4m3:int8)")
        for name in parts:
            get_format(name)
        pairs.append((parts[0], parts[1]))
    return pairs


def evaluate_mac(
    a_format: str,
    w_format: str,
    *,
    out_dir: Path,
    weight_sqnr_db: float,
    vectors: int,
    build_root: Path,
) -> DesignResult:
    """Emit, verify (Verilator, exhaustive operand pairs + ``vectors`` random cycles), cost."""
    from hwgen.costmodel.synth import SynthTarget, synthesize
    from hwgen.emit import emit
    from hwgen.rtl.config import MacConfig
    from hwgen.verify import verify

    config = MacConfig(a_format=a_format, w_format=w_format)
    design_dir = out_dir / config.name
    manifest = emit(config, design_dir)
    report = verify(design_dir, vectors=vectors, build_root=build_root, stress=False)
    synth = synthesize(design_dir, manifest.top, SynthTarget.GENERIC)
    return DesignResult(
        design=manifest.top,
        a_format=a_format,
        w_format=w_format,
        acc_bits=manifest.accumulator.bits,
        verified=report.passed,
        checks=report.checks,
        mismatches=report.mismatches,
        cells=synth.num_cells,
        transistors=int(synth.transistors),
        area_source=synth.source,
        weight_sqnr_db=weight_sqnr_db,
    )


def pareto_mask(cost: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """``True`` where no other point has cost <= and quality >= with one strictly better."""
    cost, quality = np.asarray(cost, float), np.asarray(quality, float)
    le = cost[None, :] <= cost[:, None]
    ge = quality[None, :] >= quality[:, None]
    strict = (cost[None, :] < cost[:, None]) | (quality[None, :] > quality[:, None])
    dominated = (le & ge & strict).any(axis=1)
    return ~dominated


def results_frame(results: list[DesignResult]) -> pd.DataFrame:
    """Results as a table with a ``pareto`` column, cheapest first."""
    df = pd.DataFrame([asdict(r) for r in results])
    df["pareto"] = pareto_mask(df["transistors"].to_numpy(), df["weight_sqnr_db"].to_numpy())
    return df.sort_values(["transistors", "design"]).reset_index(drop=True)


def plot_pareto(df: pd.DataFrame, path: Path) -> None:
    """Scatter of transistors vs weight SQNR, Pareto front joined, written as PNG."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    front = df[df["pareto"]].sort_values("transistors")
    ax.scatter(df["transistors"], df["weight_sqnr_db"], color="0.55", zorder=2)
    ax.plot(
        front["transistors"],
        front["weight_sqnr_db"],
        "o-",
        color="C3",
        zorder=3,
        label="Pareto front",
    )
    for row in df.itertuples():
        ax.annotate(
            f"{row.a_format} x {row.w_format}",
            (row.transistors, row.weight_sqnr_db),
            textcoords="offset points",
            xytext=(5, 4),
            fontsize=8,
        )
    ax.set_xlabel("MAC area: transistors (Yosys generic CMOS estimate)")
    ax.set_ylabel("weight quantization SQNR (dB)")
    ax.set_title("hwgen demo: exact MAC units, INT vs minifloat")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left")
    ax.margins(x=0.2, y=0.1)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
