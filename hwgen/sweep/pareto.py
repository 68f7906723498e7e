"""Pareto fronts of the results table: error against area, energy and throughput per area.

A front pairs the sweep's *error* column (lower is better) with one cost column:

=====================  ====================================  ==========================
flag                   cost column (first one present)       better
=====================  ====================================  ==========================
``pareto_area``        ``cost_asic_area_um2`` (synthesis     lower
                       else fitted model), ``asic_area_um2``,
                       ``area_um2``, ``generic_transistors``,
                       FPGA LUTs
``pareto_energy``      a column with the ``energy`` role     lower
``pareto_throughput``  a column with the                     higher
``_per_area``          ``throughput_per_area`` role
=====================  ====================================  ==========================

The error column is ``rel_mse`` (the GEMM error of the design-accuracy stage) when the
sweep has it, else ``quant_operand_rel_mse``. ``[report]`` in the spec can name other
columns of the right role. A front is only computed when both of its columns exist.

Only points that can be trusted take part: status ``ok``, verification not ``fail``, both
values present. A point is on the front when no other eligible point is at least as good
in both columns and strictly better in one (ties are all on the front). The computation
sorts once (``O(n log n)``), so it is cheap for a million points.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hwgen.sweep.spec import SweepSpec
from hwgen.sweep.stages.base import Column

__all__ = ["Front", "add_pareto_flags", "choose_fronts", "pareto_mask"]

ERROR_PREFERENCE = ("rel_mse", "quant_operand_rel_mse")
AREA_PREFERENCE = (
    "cost_asic_area_um2",
    "cost_generic_transistors",
    "cost_ice40_luts",
    "cost_xilinx_luts",
    "asic_area_um2",
    "area_um2",
    "generic_transistors",
    "ice40_luts",
    "ecp5_luts",
    "xilinx_luts",
)


@dataclass(frozen=True)
class Front:
    """One Pareto front.

    Attributes
    ----------
    name
        ``area``, ``energy`` or ``throughput_per_area``.
    flag
        The flag column (``pareto_area``).
    cost
        Its cost column and whether lower is better (``cost_lower``).
    error
        The error column (lower is better).
    cost_label, error_label
        Axis labels with units.
    cost_source
        For a combined cost column (:mod:`hwgen.sweep.subset`), the column saying which
        source each value has; ``None`` otherwise.
    """

    name: str
    flag: str
    cost: str
    cost_lower: bool
    error: str
    cost_label: str
    error_label: str
    cost_source: str | None = None


def _pick(
    role: str, override: str | None, columns: Mapping[str, Column], preference: tuple[str, ...]
) -> str | None:
    if override is not None:
        return override
    for name in preference:
        if name in columns and columns[name].role == role:
            return name
    return next((n for n, c in columns.items() if c.role == role), None)


def _source_of(cost: str, columns: Mapping[str, Column]) -> str | None:
    """``cost_<target>_source`` of a combined ``cost_<target>_<key>`` column."""
    if not cost.startswith("cost_"):
        return None
    target = cost.split("_")[1]
    src = f"cost_{target}_source"
    return src if src in columns else None


def choose_fronts(spec: SweepSpec) -> tuple[Front, ...]:
    """The fronts the sweep's columns allow (see the module docstring)."""
    columns = spec.columns()
    error = _pick("error", spec.report.error, columns, ERROR_PREFERENCE)
    if error is None:
        return ()
    fronts = []
    for name, override, pref, lower in (
        ("area", spec.report.area, AREA_PREFERENCE, True),
        ("energy", spec.report.energy, (), True),
        ("throughput_per_area", spec.report.throughput_per_area, (), False),
    ):
        cost = _pick(name, override, columns, pref)
        if cost is not None:
            fronts.append(
                Front(
                    name=name,
                    flag=f"pareto_{name}",
                    cost=cost,
                    cost_lower=lower,
                    error=error,
                    cost_label=columns[cost].label,
                    error_label=columns[error].label,
                    cost_source=_source_of(cost, columns),
                )
            )
    return tuple(fronts)


def pareto_mask(cost: np.ndarray, error: np.ndarray) -> np.ndarray:
    """Non-dominated points when both ``cost`` and ``error`` are better lower.

    Parameters
    ----------
    cost, error
        Finite float arrays of equal length.

    Returns
    -------
    numpy.ndarray
        Boolean mask, ``True`` on the front.
    """
    cost = np.asarray(cost, dtype=np.float64)
    error = np.asarray(error, dtype=np.float64)
    n = cost.size
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    order = np.lexsort((error, cost))
    c, e = cost[order], error[order]
    # Per distinct cost: the group's best error; a group's best points are on the front
    # when that error beats every cheaper group's (strictly).
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    group_best = e[starts]  # sorted by error within a cost group
    prev_best = np.minimum.accumulate(np.r_[np.inf, group_best[:-1]])
    winning = group_best < prev_best
    group_of = np.repeat(np.arange(starts.size), np.diff(np.r_[starts, n]))
    on = winning[group_of] & (e == group_best[group_of])
    mask[order] = on
    return mask


def eligible(df: pd.DataFrame) -> pd.Series:
    """Rows that may be on a front: status ok and verification not failed."""
    ok = df["status"] == "ok"
    if "verify_status" in df.columns:
        ok &= df["verify_status"].fillna("") != "fail"
    return ok.fillna(False).astype(bool)


def add_pareto_flags(df: pd.DataFrame, fronts: tuple[Front, ...]) -> pd.DataFrame:
    """``df`` with one boolean ``pareto_*`` column per front (False off the front)."""
    out = df.copy()
    base = eligible(df)
    for f in fronts:
        use = base & df[f.cost].notna() & df[f.error].notna()
        flags = np.zeros(len(df), dtype=bool)
        idx = np.flatnonzero(use.to_numpy())
        if idx.size:
            cost = df[f.cost].to_numpy(dtype=np.float64, na_value=np.nan)[idx]
            err = df[f.error].to_numpy(dtype=np.float64, na_value=np.nan)[idx]
            flags[idx] = pareto_mask(cost if f.cost_lower else -cost, err)
        out[f.flag] = pd.Series(flags, dtype="boolean", index=df.index)
    return out
