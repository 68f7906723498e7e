"""Stage ``fast_cost``: the fitted fast cost model (:mod:`hwgen.costmodel.fast`) per target.

No generation or synthesis: the point's config goes through
:func:`hwgen.costmodel.fast.estimate_many` (a fast-model-only sweep can run this stage
alone). One instance and column group per target (``fast_cost.asic`` -> ``fast_asic_area_um2``,
``fast_asic_fmax_mhz``, ``fast_asic_energy_pj_per_mac``, ``fast_asic_source``;
``fast_ice40_luts`` ...), plus the fit's held-out error (``*_model_area_mape_pct``,
``*_model_spearman``). The cache key includes the fit file's ``fit_id``, so a regenerated
fit reprices every point.

Registered in :data:`hwgen.sweep.stages.STAGES` but not in the default ``run`` list: a
sweep asks for it (``run = ["fast_cost"]`` alone is a fast-model-only sweep, or next to
``cost`` to set the model against synthesis point by point).

Spec table::

    [stages.fast_cost]
    targets = ["asic"]          # any of asic, generic, ice40, xilinx
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hwgen.sweep.stages.base import Column, Stage, StageContext, StageInstance

__all__ = ["FastCostOptions", "FastCostStage", "FastCostTarget"]

TARGETS = ("asic", "generic", "ice40", "ecp5", "xilinx")
"""Targets of the fitted model."""

_FIELDS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "asic": (
        ("area_um2", "ASIC area um2 (fitted model)", "area"),
        ("fmax_mhz", "ASIC fmax MHz (fitted model)", None),
        ("energy_pj_per_mac", "energy pJ/MAC (fitted model, MACs)", "energy"),
    ),
    "generic": (("transistors", "transistors (fitted model)", "area"),),
    "ice40": (
        ("luts", "iCE40 LUTs (fitted model)", "area"),
        ("ffs", "iCE40 FFs", None),
        ("preroute_fmax_mhz", "iCE40 pre-route fmax MHz (fitted model)", None),
    ),
    "ecp5": (("luts", "ECP5 LUTs (fitted model)", "area"), ("ffs", "ECP5 FFs", None)),
    "xilinx": (("luts", "Xilinx LUTs (fitted model)", "area"), ("ffs", "Xilinx FFs", None)),
}


@dataclass(frozen=True)
class FastCostTarget:
    """Options of one instance: the target and the fit id it prices with."""

    target: str
    fit_id: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the fit id keys the cache)."""
        return {"target": self.target, "fit_id": self.fit_id}


@dataclass(frozen=True)
class FastCostOptions:
    """``[stages.fast_cost]``: ``targets`` (default ``["asic"]``)."""

    targets: tuple[str, ...] = ("asic",)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"targets": list(self.targets)}


class FastCostStage(Stage):
    """Costs from the fitted fast model."""

    name = "fast_cost"
    summary = "fitted fast cost model: area, fmax, energy, LUTs without synthesis"
    config_keys = None
    code = ("hwgen.costmodel.fast",)
    default = False

    def parse(self, table: Any) -> FastCostOptions:
        if table is None:
            return FastCostOptions()
        targets = table.list(
            "targets",
            ["asic"],
            item=lambda v: v in TARGETS,
            kind=f"a list of targets ({', '.join(TARGETS)})",
            nonempty=True,
            unique="target",
        )
        table.finish(["targets"])
        return FastCostOptions(tuple(targets))

    def instances(self, options: FastCostOptions) -> tuple[StageInstance, ...]:
        from hwgen.costmodel.fast.model import load_fit

        return tuple(
            StageInstance(
                self, f"fast_cost.{t}", FastCostTarget(t, load_fit(t).fit_id), f"fast_{t}_"
            )
            for t in options.targets
        )

    def columns(self, options: FastCostTarget) -> tuple[Column, ...]:
        cols = [
            Column(k, label, better="higher" if k.endswith("fmax_mhz") else "lower", role=role)
            for k, label, role in _FIELDS[options.target]
        ]
        cols += [
            Column("model_area_mape_pct", "fitted model held-out size MAPE %"),
            Column("model_spearman", "fitted model held-out Spearman"),
            Column("source", "fitted model and fit id"),
        ]
        return tuple(cols)

    def run(
        self,
        point: Any,
        options: FastCostTarget,
        inputs: Mapping[str, Mapping[str, Any]],
        ctx: StageContext,
    ) -> dict[str, Any]:
        import math

        from hwgen.costmodel.fast.model import estimate_many

        frame = estimate_many([point.build()], options.target)
        if frame.attrs["fit_id"] != options.fit_id:
            raise RuntimeError(f"fit for {options.target} changed during the sweep")
        out: dict[str, Any] = {}
        for k, _label, _role in _FIELDS[options.target]:
            v = float(frame[k].iloc[0]) if k in frame else math.nan
            out[k] = None if math.isnan(v) else v
        err = frame.attrs["model_error"]
        out["model_area_mape_pct"] = err["area_mape_pct"]
        out["model_spearman"] = err["spearman"]
        out["source"] = str(frame["source"].iloc[0])
        return out
