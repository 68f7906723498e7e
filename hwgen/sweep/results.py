"""The results table: one row per design point, in spec order.

Columns, left to right:

* identity: ``point_id``, ``design`` (module name), ``family``, ``design_class``,
  ``origin``;
* config: every config key any family of the sweep has (``a_format``, ``w_format``,
  ``acc_bits``, ..., ``rows``, ``cols``), empty where a family has no such key;
* ``status`` (``ok`` / ``failed``), ``failed_stage``, ``error`` (``Type: message`` of the
  first failure) and ``not_run`` (stages skipped because a stage they need failed);
* every stage column, ``<prefix><key>`` (``rtl_top``, ``verify_status``,
  ``generic_transistors``, ``ice40_luts``, ``quant_operand_rel_mse``, ...), each stage's
  ``<prefix>source`` giving the provenance of its numbers;
* with both synthesis and the fitted model on a target, the combined
  ``cost_<target>_<key>`` columns and ``cost_<target>_source``
  (:mod:`hwgen.sweep.subset`);
* the ``pareto_*`` flags (:mod:`hwgen.sweep.pareto`).

Columns are typed (nullable integers, floats, booleans, strings), so an absent value is
empty in CSV and null in Parquet, never a 0 or a NaN standing in for "no such number".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from hwgen.sweep.evaluate import PointOutcome
from hwgen.sweep.points import DesignPoint, SkippedPoint
from hwgen.sweep.stages.base import StageInstance
from hwgen.sweep.subset import add_merged_costs

__all__ = ["IDENTITY", "STATUS", "results_frame", "skipped_frame", "typed_frame"]

IDENTITY = ("point_id", "design", "family", "design_class", "origin")
STATUS = ("status", "failed_stage", "error", "not_run")
_CONFIG_ORDER = (
    "a_format",
    "w_format",
    "acc_bits",
    "overflow",
    "max_terms",
    "multiplier",
    "stages",
    "out_format",
    "rows",
    "cols",
    "acc_format",
    "acc_rounding",
    "acc_subnormals",
    "act_format",
    "dot",
    "group_size",
    "mode",
)


def _config_columns(points: Sequence[DesignPoint]) -> list[str]:
    keys: list[str] = ["a_format", "w_format"] if points else []
    for p in points:
        for k in p.config:
            if k not in keys:
                keys.append(k)
    ordered = [k for k in _CONFIG_ORDER if k in keys]
    return ordered + [k for k in keys if k not in ordered]


def _typed(values: list[Any]) -> pd.Series:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="boolean")
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="Int64")
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pd.Series([None if v is None else float(v) for v in values], dtype="Float64")
    return pd.Series([None if v is None else str(v) for v in values], dtype="string")


def typed_frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A frame of ``rows`` with ``columns`` in order, each typed by its values."""
    return pd.DataFrame({c: _typed([r.get(c) for r in rows]) for c in columns})


def results_frame(
    points: Sequence[DesignPoint],
    outcomes: Mapping[str, PointOutcome],
    instances: Sequence[StageInstance],
) -> pd.DataFrame:
    """The results table (without the Pareto flags) of the evaluated points.

    Parameters
    ----------
    points
        The sweep's points, in spec order.
    outcomes
        Point id -> outcome (every point must have one).
    instances
        The stage instances, in run order.
    """
    config_cols = _config_columns(points)
    stage_cols = [(inst, col) for inst in instances for col in inst.columns()]
    rows = []
    for p in points:
        out = outcomes[p.point_id]
        row: dict[str, Any] = {
            "point_id": p.point_id,
            "design": p.name,
            "family": p.family,
            "design_class": p.design_class,
            "origin": p.origin,
        }
        row.update({k: p.value(k) for k in config_cols})
        failures = out.failures
        row["status"] = "failed" if failures else "ok"
        row["failed_stage"] = failures[0].stage if failures else None
        if failures and failures[0].error is not None:
            err = failures[0].error
            row["error"] = f"{err.get('type', 'Error')}: {err.get('message', '')}"
        else:
            row["error"] = None
        row["not_run"] = "; ".join(f"{k} ({v})" for k, v in out.not_run.items()) or None
        for inst, col in stage_cols:
            rec = out.records.get(inst.name)
            value = rec.result.get(col.key) if rec is not None and rec.result else None
            row[inst.column(col.key)] = value if not isinstance(value, list | dict) else None
        rows.append(row)
    columns = [*IDENTITY, *config_cols, *STATUS, *(i.column(c.key) for i, c in stage_cols)]
    return add_merged_costs(typed_frame(rows, columns), instances)


def skipped_frame(skipped: Sequence[SkippedPoint]) -> pd.DataFrame:
    """The skipped combinations: family, their config items, reason and origin."""
    keys: list[str] = []
    for s in skipped:
        keys += [k for k in s.items if k not in keys]
    ordered = [k for k in _CONFIG_ORDER if k in keys] + [k for k in keys if k not in _CONFIG_ORDER]
    rows = [
        {"family": s.family, **s.items, "reason": s.reason, "origin": s.origin} for s in skipped
    ]
    return typed_frame(rows, ["family", *ordered, "reason", "origin"])
