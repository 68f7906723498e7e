"""Stage ``energy``: activity-based energy per MAC on the embedded ASIC library.

``hwgen cost --target asic --activity DIST`` (:func:`hwgen.costmodel.estimate_cost`): the
design mapped to hwgen's embedded sky130-derived library is simulated at gate level on an
operand stream (Verilator), every net's toggles are priced with the library's internal and
switching energies plus leakage, and OpenSTA's ``report_power`` at the same activity is the
cross-check (:mod:`hwgen.costmodel.energy`, ``docs/cost.md``).

The bench drives MAC-style inputs (``a``, ``w``, ``valid``, ``clear``); designs with other
inputs (the BitMoD PE's metadata stream, an array's tiles) are *not applicable*: their
columns stay empty and the point's ``not_run`` says why, which is not a failure.

Options (``[stages.energy]``): ``activity`` (``gaussian``, ``uniform``, ``laplace``, with
``:zeros=F``; default ``gaussian``), ``macs`` (simulated MACs, default 512), ``seed``,
``clock_mhz`` (power and leakage clock, default 100). Opt-in (each design is one Verilator
build of its gate-level netlist): name it in ``[stages] run``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hwgen.sweep.stages.base import Column, Stage, StageContext
from hwgen.sweep.stages.cost import provenance_text
from hwgen.sweep.stages.generate import design_path

__all__ = ["DRIVEN_ROLES", "EnergyOptions", "EnergyStage"]

DRIVEN_ROLES = frozenset({"clk", "rst", "a", "w", "valid", "clear"})
"""Input roles the energy bench drives (:func:`hwgen.costmodel.energy.check_drivable`)."""


@dataclass(frozen=True)
class EnergyOptions:
    """``[stages.energy]`` (see the module docstring)."""

    activity: str = "gaussian"
    macs: int = 512
    seed: int = 0
    clock_mhz: float = 100.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "activity": self.activity,
            "macs": self.macs,
            "seed": self.seed,
            "clock_mhz": self.clock_mhz,
        }


class EnergyStage(Stage):
    """Energy per MAC from gate-level switching activity."""

    name = "energy"
    summary = "energy per MAC: gate-level activity on the embedded ASIC library (+ OpenSTA)"
    needs = ("generate",)
    code = ("hwgen.costmodel",)
    default = False

    def parse(self, table: Any) -> EnergyOptions:
        if table is None:
            return EnergyOptions()
        from hwgen.costmodel.activity import parse_activity
        from hwgen.errors import HwgenError

        activity = table.str("activity", "gaussian")
        try:
            spec = parse_activity(activity)
        except HwgenError as exc:
            raise table.error("activity", f"[stages.energy] activity: {exc}") from None
        if spec.path is not None:
            raise table.error(
                "activity",
                "[stages.energy] activity must be a distribution (gaussian, uniform, laplace),"
                f" not a file ({activity!r}): a sweep's operands are its formats'",
            )
        macs = table.int("macs", 512, lo=16)
        if macs > 100_000:
            raise table.error("macs", f"[stages.energy] macs must be <= 100000, not {macs}")
        opts = EnergyOptions(
            activity=activity,
            macs=macs,
            seed=table.int("seed", 0, lo=0),
            clock_mhz=float(table.number("clock_mhz", 100.0, positive=True)),
        )
        table.finish(["activity", "macs", "seed", "clock_mhz"])
        return opts

    def tools(self, options: Any) -> tuple[str, ...]:
        return ("yosys", "opensta", "verilator", "cocotb", "numpy")

    def applies(self, point: Any, options: Any) -> str | None:
        inputs = {str(p.role) for p in point.build().ports() if str(p.dir) == "in"}
        extra = sorted(inputs - DRIVEN_ROLES)
        if extra:
            return (
                f"the energy bench drives MAC-style inputs (a, w, valid, clear);"
                f" {point.family} has {', '.join(extra)}"
            )
        return None

    def columns(self, options: Any) -> tuple[Column, ...]:
        return (
            Column(
                "energy_pj_per_mac", "energy per MAC (pJ, gate-level activity)", "lower", "energy"
            ),
            Column("energy_internal_pj_per_mac", "internal energy per MAC (pJ)"),
            Column("energy_switching_pj_per_mac", "switching energy per MAC (pJ)"),
            Column("energy_leakage_pj_per_mac", "leakage energy per MAC (pJ)"),
            Column("energy_power_mw", "power (mW) at energy_clock_mhz"),
            Column("energy_opensta_power_mw", "OpenSTA power at the same activity (mW)"),
            Column("energy_clock_mhz", "energy clock (MHz)"),
            Column("energy_source", "energy simulation"),
            Column("energy_opensta_source", "energy cross-check"),
        )

    def run(
        self,
        point: Any,
        options: EnergyOptions,
        inputs: Mapping[str, Mapping[str, Any]],
        ctx: StageContext,
    ) -> dict[str, Any]:
        from hwgen.costmodel.cost import CostOptions, Target, estimate_cost

        report = estimate_cost(
            design_path(inputs["generate"], ctx),
            CostOptions(
                target=Target.ASIC,
                activity=options.activity,
                macs=options.macs,
                seed=options.seed,
                clock_mhz=options.clock_mhz,
            ),
            use_cache=False,
        )
        # Every key starts with energy_ (no prefix): energy_pj_per_mac reads as in hwgen cost.
        keys = {
            "energy_pj_per_mac": "energy_pj_per_mac",
            "energy_internal_pj_per_mac": "energy_internal_pj_per_mac",
            "energy_switching_pj_per_mac": "energy_switching_pj_per_mac",
            "energy_leakage_pj_per_mac": "energy_leakage_pj_per_mac",
            "power_mw": "energy_power_mw",
            "opensta_power_mw": "energy_opensta_power_mw",
            "clock_mhz": "energy_clock_mhz",
            "cycles_per_mac": "energy_cycles_per_mac",
            "activity": "energy_activity",
        }
        values = report.values()
        out: dict[str, Any] = {new: values[old] for old, new in keys.items() if old in values}
        # "source" is the stage contract's key; energy_source is its column.
        out["source"] = out["energy_source"] = provenance_text(report.sources["energy_pj_per_mac"])
        out["energy_opensta_source"] = provenance_text(report.sources["opensta_power_mw"])
        return out
