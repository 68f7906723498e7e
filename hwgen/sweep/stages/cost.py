"""Stage ``cost``: Yosys synthesis counts per target (:func:`hwgen.costmodel.synth.synthesize`).

``targets`` lists the flows to run. Every point is priced on every target: one instance,
cache entry and column group per target (``cost.ice40`` -> ``ice40_luts``, ``ice40_ffs``,
..., ``ice40_source``), so adding a target to the list runs only the new target. A target
reports only the resources it has (the generic gate flow has no LUTs): absent, never 0.

=========  ============================================================================
target     columns
=========  ============================================================================
generic    ``cells``, ``transistors`` (Yosys ``stat -tech cmos`` estimate), ``ffs``
ice40      ``luts`` (SB_LUT4), ``carries``, ``ffs``, ``dsps`` (SB_MAC16), ``cells``
ecp5       ``luts`` (LUT4), ``carries`` (CCU2C), ``ffs``, ``dsps``, ``cells``
xilinx     ``luts`` (LUT6 + SRL), ``carries`` (CARRY4/8), ``ffs``, ``dsps``, ``cells``
=========  ============================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hwgen.sweep.stages.base import Column, Stage, StageContext, StageInstance
from hwgen.sweep.stages.generate import design_path

__all__ = ["CostOptions", "CostStage", "CostTarget"]

TARGETS = ("generic", "ice40", "ecp5", "xilinx")
"""Synthesis flows of :class:`hwgen.costmodel.synth.SynthTarget`."""


@dataclass(frozen=True)
class CostTarget:
    """Options of one cost instance: a target and whether DSP blocks may be used."""

    target: str
    dsp: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"target": self.target, "dsp": self.dsp}


@dataclass(frozen=True)
class CostOptions:
    """``[stages.cost]``.

    Attributes
    ----------
    targets
        Flows to run, each once per point (default: ``["generic"]``).
    dsp
        FPGA targets may map multipliers to DSP blocks (default ``false``: LUT logic only,
        so designs compare by their logic).
    """

    targets: tuple[str, ...] = ("generic",)
    dsp: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"targets": list(self.targets), "dsp": self.dsp}


class CostStage(Stage):
    """Yosys synthesis resource counts."""

    name = "cost"
    summary = "Yosys synthesis: generic gates + transistor estimate, iCE40/ECP5/Xilinx LUTs"
    needs = ("generate",)
    code = ("hwgen.costmodel",)

    def parse(self, table: Any) -> CostOptions:
        if table is None:
            return CostOptions()
        targets = table.list(
            "targets",
            ["generic"],
            item=lambda v: v in TARGETS,
            kind=f"a list of targets ({', '.join(TARGETS)})",
            nonempty=True,
        )
        if len(set(targets)) != len(targets):
            raise table.error("targets", "[stages.cost] targets lists a target twice")
        dsp = table.bool("dsp", False)
        if dsp and targets == ["generic"]:
            raise table.error(
                "dsp", "[stages.cost] dsp = true needs an FPGA target; generic maps to gates only"
            )
        table.finish(["targets", "dsp"])
        return CostOptions(tuple(targets), dsp)

    def instances(self, options: CostOptions) -> tuple[StageInstance, ...]:
        return tuple(
            StageInstance(
                self,
                f"cost.{t}",
                CostTarget(t, options.dsp and t != "generic"),
                f"{t}_",
                self.needs,
            )
            for t in options.targets
        )

    def tools(self, options: CostTarget) -> tuple[str, ...]:
        return ("yosys",)

    def columns(self, options: CostTarget) -> tuple[Column, ...]:
        if options.target == "generic":
            return (
                Column("cells", "generic cells (NAND/NOR/NOT + DFF)", better="lower"),
                Column(
                    "transistors", "transistors (Yosys CMOS estimate)", better="lower", role="area"
                ),
                Column("ffs", "flip-flops"),
                Column("source", "synthesis flow"),
            )
        lut = {"ice40": "LUT4", "ecp5": "LUT4", "xilinx": "LUT6"}[options.target]
        return (
            Column("luts", f"{options.target} LUTs ({lut})", better="lower", role="area"),
            Column("carries", f"{options.target} carry cells"),
            Column("ffs", f"{options.target} flip-flops", better="lower"),
            Column("dsps", f"{options.target} DSP blocks"),
            Column("cells", f"{options.target} cells"),
            Column("source", "synthesis flow"),
        )

    def run(
        self,
        point: Any,
        options: CostTarget,
        inputs: Mapping[str, Mapping[str, Any]],
        ctx: StageContext,
    ) -> dict[str, Any]:
        from hwgen.costmodel.synth import SynthTarget, synthesize

        gen = inputs["generate"]
        res = synthesize(
            design_path(gen, ctx), str(gen["top"]), SynthTarget(options.target), dsp=options.dsp
        )
        out: dict[str, Any] = {"cells": res.num_cells, "ffs": res.ffs}
        for key in ("luts", "carries", "dsps", "transistors"):
            value = getattr(res, key)
            if value is not None:
                out[key] = int(value)
        out["cell_types"] = dict(res.cells)
        out["source"] = res.source
        return out
