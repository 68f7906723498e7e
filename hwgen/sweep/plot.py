"""Pareto plots (PNG and SVG) of a results table, deterministic byte for byte.

One figure per front (:mod:`hwgen.sweep.pareto`): cost on x, error on y, both with their
units; each design class (INT, minifloat, mixed, table, BitMoD) in its own colour and
marker; points whose cost comes from the fitted model rather than synthesis (a combined
cost column, :mod:`hwgen.sweep.subset`) hollow; points that failed verification as grey
crosses (they are never on a front); the front drawn as a staircase through its points.
Axes switch to a log scale when the values span more than :data:`LOG_SPAN`. Every front
point is labelled, and every point while there are at most :data:`LABEL_ALL_MAX`.

Determinism: the SVG id salt is fixed, and neither file carries a date or the matplotlib
version (``metadata``), so an unchanged table gives identical files.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hwgen.sweep.cache import atomic_write
from hwgen.sweep.pareto import Front, eligible
from hwgen.sweep.subset import SOURCE_FITTED

__all__ = ["CLASS_STYLES", "LABEL_ALL_MAX", "LOG_SPAN", "point_label", "render_front"]

LOG_SPAN = 20.0
"""max / min ratio above which an axis is drawn on a log scale."""
LABEL_ALL_MAX = 24
"""Label every point up to this many; beyond, label the front only."""


@dataclass(frozen=True)
class Style:
    """How one design class is drawn."""

    label: str
    color: str
    marker: str


CLASS_STYLES: Mapping[str, Style] = {
    "int": Style("INT", "#1f77b4", "o"),
    "minifloat": Style("minifloat", "#d62728", "s"),
    "mixed": Style("INT x minifloat (mixed)", "#9467bd", "^"),
    "table": Style("table (flint, ...)", "#8c564b", "v"),
    "bitmod": Style("BitMoD", "#2ca02c", "D"),
}
"""Design class -> legend label, colour and marker (a new class adds a line here)."""
_OTHER = Style("other", "#7f7f7f", "P")


def point_label(row: pd.Series) -> str:
    """A short label: ``RxC`` for arrays, ``a x w``, then non-default options."""
    parts = []
    if pd.notna(row.get("rows")) and pd.notna(row.get("cols")):
        parts.append(f"{row['rows']}x{row['cols']}")
    parts.append(f"{row['a_format']} x {row['w_format']}")
    if pd.notna(row.get("acc_format")):
        parts.append(f"acc {row['acc_format']}")
    elif pd.notna(row.get("acc_bits")):
        parts.append(f"acc{row['acc_bits']}")
    if pd.notna(row.get("overflow")) and row.get("overflow") != "exact":
        parts.append(str(row["overflow"]))
    if pd.notna(row.get("stages")) and row.get("stages"):
        parts.append(f"s{row['stages']}")
    if pd.notna(row.get("multiplier")) and row.get("multiplier") != "exact":
        parts.append(str(row["multiplier"]))
    return " ".join(parts)


def _log(values: np.ndarray) -> bool:
    v = values[np.isfinite(values) & (values > 0)]
    return v.size > 1 and float(v.max()) / float(v.min()) > LOG_SPAN


def render_front(df: pd.DataFrame, front: Front, title: str) -> dict[str, bytes]:
    """Draw one front; returns ``{"png": bytes, "svg": bytes}``.

    Parameters
    ----------
    df
        The results table with the front's flag column.
    front
        The front to draw.
    title
        Figure title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = [front.cost, front.error]
    have = df[df[cols].notna().all(axis=1)]
    good = have[eligible(have)]
    bad = have[~eligible(have)]
    with plt.rc_context({"svg.hashsalt": "hwgen-sweep", "svg.fonttype": "path"}):
        fig, ax = plt.subplots(figsize=(7.2, 4.8), dpi=110)
        fitted_label = f"hollow: {SOURCE_FITTED} cost"
        src = front.cost_source
        for cls in [*CLASS_STYLES, *sorted(set(good["design_class"]) - set(CLASS_STYLES))]:
            part = good[good["design_class"] == cls]
            if part.empty:
                continue
            st = CLASS_STYLES.get(cls, _OTHER)
            # Costs of the fitted model (not synthesized) are drawn hollow, synthesized filled.
            fitted = (
                (part[src] == SOURCE_FITTED).fillna(False).astype(bool)
                if src is not None and src in part.columns
                else pd.Series(False, index=part.index)
            )
            solid = part[~fitted]
            if not solid.empty:
                ax.scatter(
                    solid[front.cost].astype(float),
                    solid[front.error].astype(float),
                    c=st.color,
                    marker=st.marker,
                    s=42,
                    label=st.label,
                    zorder=3,
                    edgecolors="white",
                    linewidths=0.6,
                )
            hollow = part[fitted]
            if not hollow.empty:
                ax.scatter(
                    hollow[front.cost].astype(float),
                    hollow[front.error].astype(float),
                    facecolors="none",
                    edgecolors=st.color,
                    marker=st.marker,
                    s=42,
                    label=st.label if solid.empty else "_nolegend_",
                    zorder=3,
                    linewidths=1.0,
                )
                if fitted_label:
                    ax.scatter([], [], facecolors="none", edgecolors="#555555", marker="o",
                               s=42, label=fitted_label)  # fmt: skip
                    fitted_label = ""
        if not bad.empty:
            ax.scatter(
                bad[front.cost].astype(float),
                bad[front.error].astype(float),
                c="#999999",
                marker="x",
                s=36,
                label="failed verification",
                zorder=2,
            )
        on = good[good[front.flag].fillna(False).astype(bool)].sort_values(
            front.cost, ascending=front.cost_lower
        )
        if len(on):
            ax.step(
                on[front.cost].astype(float),
                on[front.error].astype(float),
                where="post",
                color="black",
                linewidth=1.2,
                alpha=0.8,
                zorder=2,
                label="Pareto front",
            )
        label_all = len(have) <= LABEL_ALL_MAX
        for _, row in have.iterrows():
            if label_all or bool(row.get(front.flag)):
                ax.annotate(
                    point_label(row),
                    (float(row[front.cost]), float(row[front.error])),
                    textcoords="offset points",
                    xytext=(5, 4),
                    fontsize=7,
                    color="#333333",
                )
        x = have[front.cost].to_numpy(dtype=float, na_value=np.nan)
        y = have[front.error].to_numpy(dtype=float, na_value=np.nan)
        if _log(x):
            ax.set_xscale("log")
        if _log(y):
            ax.set_yscale("log")
        better = "lower is better" if front.cost_lower else "higher is better"
        ax.set_xlabel(f"{front.cost_label} [{front.cost}], {better}")
        ax.set_ylabel(f"{front.error_label}\n[{front.error}], lower is better")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.25)
        ax.legend(fontsize=8, loc="best", frameon=True)
        ax.margins(x=0.15, y=0.12)
        fig.tight_layout()
        out = {}
        for fmt, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, metadata=meta)
            out[fmt] = buf.getvalue()
        plt.close(fig)
    return out


def write_plots(
    df: pd.DataFrame, fronts: tuple[Front, ...], out_dir: Path, sweep_name: str
) -> dict[str, dict[str, Path]]:
    """Render every front to ``<out_dir>/pareto_<front>.{png,svg}`` (atomic writes)."""
    paths: dict[str, dict[str, Path]] = {}
    for f in fronts:
        files = render_front(df, f, f"sweep {sweep_name}: {f.error} vs {f.cost}")
        paths[f.name] = {}
        for fmt, data in files.items():
            p = out_dir / f"pareto_{f.name}.{fmt}"
            atomic_write(p, data)
            paths[f.name][fmt] = p
    return paths
