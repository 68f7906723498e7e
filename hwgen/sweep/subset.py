"""A synthesized subset of a large sweep, and the cost columns that combine both sources.

A study prices every point with the fitted fast model (stage ``fast_cost``) and only a
subset with synthesis (``cost``, ``energy``, ...). ``[subset]`` says which points::

    [subset]
    stages = ["cost"]            # stages run on the subset only (default: cost, energy)
    every = 8                    # every 8th matching point, in spec order (default 1)
    offset = 0                   # ... starting with the offset-th one (default 0)
    match = { family = "mac", acc_format = ["none", "fp32"] }   # optional

A point is in the subset when it matches ``match`` (each parameter one value or a list of
accepted values, as in ``[[constraints.exclude]]``) and is the ``offset``-th,
``offset + every``-th, ... of the matching points in spec order. The other points do not
run the subset's stages (their columns stay empty; ``not_run`` says
``n/a: not in the [subset] ...``), nor any stage that needs one of them.

When a sweep runs both ``cost.<target>`` and ``fast_cost.<target>``, the table gains one
combined column per figure both give (:data:`MERGED`): ``cost_<target>_<key>`` is the
synthesized number where there is one, else the fitted model's, and
``cost_<target>_source`` says which (``synthesis`` / ``fitted model``). The Pareto fronts
use the combined area column first and the plots draw fitted-model points hollow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hwgen.sweep.stages.base import Column, StageInstance

__all__ = [
    "DEFAULT_SUBSET_STAGES",
    "MERGED",
    "SOURCE_FITTED",
    "SOURCE_SYNTHESIS",
    "SubsetSpec",
    "add_merged_costs",
    "merged_columns",
    "source_column",
]

DEFAULT_SUBSET_STAGES = ("cost", "energy")
"""Stages a ``[subset]`` restricts when it names none (those the sweep runs)."""

MERGED: Mapping[str, tuple[tuple[str, str | None], ...]] = {
    "asic": (("area_um2", "area"), ("fmax_mhz", None)),
    "generic": (("transistors", "area"),),
    "ice40": (("luts", "area"), ("ffs", None)),
    "xilinx": (("luts", "area"), ("ffs", None)),
}
"""Target -> (key, Pareto role) of the figures synthesis and the fitted model share."""

SOURCE_SYNTHESIS = "synthesis"
SOURCE_FITTED = "fitted model"


@dataclass(frozen=True)
class SubsetSpec:
    """``[subset]``: which points run :attr:`stages`.

    Attributes
    ----------
    stages
        Stage names run on the subset only.
    every, offset
        Every ``every``-th matching point from the ``offset``-th (0-based).
    match
        Parameter -> accepted values (empty: every point matches).
    where
        ``file:line`` of the table.
    """

    stages: tuple[str, ...]
    every: int = 1
    offset: int = 0
    match: Mapping[str, tuple[Any, ...]] | None = None
    where: str = ""

    def matches(self, items: Mapping[str, Any]) -> bool:
        """Whether a point's config items (``family`` included) pass :attr:`match`."""
        from hwgen.sweep.spec import Exclusion

        if not self.match:
            return True
        return Exclusion(self.match, "", self.where).matches(items)

    def chosen(self, rank: int) -> bool:
        """Whether the ``rank``-th matching point (0-based, spec order) is in the subset."""
        return rank >= self.offset and (rank - self.offset) % self.every == 0

    def label(self) -> str:
        """How the subset was chosen, for ``not_run``."""
        parts = [f"every {self.every}" if self.every > 1 else "all"]
        if self.offset:
            parts.append(f"from #{self.offset}")
        if self.match:
            parts.append("matching " + ", ".join(f"{k}" for k in self.match))
        return " ".join(parts)


def _pairs(instances: Sequence[StageInstance]) -> list[tuple[str, StageInstance, StageInstance]]:
    """(target, synthesis instance, fast-model instance) for every target both price."""
    synth = {i.name.split(".", 1)[1]: i for i in instances if i.name.startswith("cost.")}
    fast = {i.name.split(".", 1)[1]: i for i in instances if i.name.startswith("fast_cost.")}
    return [(t, synth[t], fast[t]) for t in MERGED if t in synth and t in fast]


def source_column(target: str) -> str:
    """The combined source column of a target (``cost_asic_source``)."""
    return f"cost_{target}_source"


def merged_columns(instances: Sequence[StageInstance]) -> dict[str, Column]:
    """The combined columns the instances give (table column -> :class:`Column`)."""
    out: dict[str, Column] = {}
    for target, synth, fast in _pairs(instances):
        synth_cols = {c.key: c for c in synth.columns()}
        fast_cols = {c.key for c in fast.columns()}
        for key, role in MERGED[target]:
            if key in synth_cols and key in fast_cols:
                c = synth_cols[key]
                out[f"cost_{target}_{key}"] = Column(
                    key, f"{c.label} (synthesis, else fitted model)", better=c.better, role=role
                )
        out[source_column(target)] = Column("source", f"{target} cost source")
    return out


def add_merged_costs(df: pd.DataFrame, instances: Sequence[StageInstance]) -> pd.DataFrame:
    """``df`` with the combined cost columns (synthesized value where present)."""
    out = df.copy()
    for target, synth, fast in _pairs(instances):
        keys = [
            k for k, _ in MERGED[target]
            if synth.column(k) in df.columns and fast.column(k) in df.columns
        ]  # fmt: skip
        have = pd.Series(False, index=df.index)
        for key in keys:
            s = df[synth.column(key)].astype("Float64")
            f = df[fast.column(key)].astype("Float64")
            out[f"cost_{target}_{key}"] = s.fillna(f)
            have |= s.notna().fillna(False).astype(bool)
        fitted = pd.Series(False, index=df.index)
        for key in keys:
            fitted |= df[fast.column(key)].notna().fillna(False).astype(bool)
        src = pd.Series(pd.NA, index=df.index, dtype="string")
        src[fitted & ~have] = SOURCE_FITTED
        src[have] = SOURCE_SYNTHESIS
        out[source_column(target)] = src
    return out
