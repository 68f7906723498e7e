"""Stage ``cost``: the cost flows of ``hwgen cost`` (:func:`hwgen.costmodel.estimate_cost`).

``targets`` lists the flows (:class:`CostFlow`) to run. Every point is priced by every flow:
one instance, cache entry and column group per flow (``cost.asic`` -> ``asic_area_um2``,
``asic_fmax_mhz``, ..., ``asic_source``), so adding a flow to the list runs only that flow.
A flow reports only the figures it has (the generic gate flow has no LUTs): absent, never 0.
Every figure keeps the provenance ``hwgen cost`` gives it, folded into one source column
per group of figures that share one (``source``: synthesis, ``timing_source``: static
timing or place and route, ``table_source``: the cited per-operation table).

=========  ==========================================================================
flow       columns
=========  ==========================================================================
asic       ``area_um2`` (embedded sky130-derived library), ``combinational_area_um2``,
           ``sequential_area_um2``, ``cells``, ``ffs``, ``critical_path_ns`` and
           ``fmax_mhz`` (OpenSTA), ``table_energy_pj_per_mac`` / ``table_area_um2`` (MACs)
generic    ``cells``, ``transistors`` (Yosys ``stat -tech cmos`` estimate), ``ffs``
ice40      ``luts`` (SB_LUT4), ``carries``, ``ffs``, ``dsps``, ``brams``, ``cells``,
           ``preroute_fmax_mhz``; with ``pnr``: routed ``fmax_mhz`` (nextpnr, HX8K)
ecp5       as iCE40 without the pre-route estimate; ``pnr``: routed ``fmax_mhz``
xilinx     ``luts`` (LUT6 + SRL), ``carries``, ``ffs``, ``dsps``, ``brams``, ``cells``
=========  ==========================================================================

A flow is one :class:`CostFlow` member plus one :data:`FLOWS` entry (its columns, tools and
how it runs); the fast analytical model is added the same way.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hwgen.sweep.stages.base import Column, Stage, StageContext, StageInstance
from hwgen.sweep.stages.generate import design_path

__all__ = ["FLOWS", "CostFlow", "CostOptions", "CostStage", "CostTarget", "FlowSpec"]


class CostFlow(enum.StrEnum):
    """A cost flow a sweep can run (``[stages.cost] targets``)."""

    ASIC = "asic"
    GENERIC = "generic"
    ICE40 = "ice40"
    ECP5 = "ecp5"
    XILINX = "xilinx"


TARGETS = tuple(f.value for f in CostFlow)
"""Every flow name (kept for the spec messages)."""

_FPGA = (CostFlow.ICE40, CostFlow.ECP5, CostFlow.XILINX)
_PNR = (CostFlow.ICE40, CostFlow.ECP5)


@dataclass(frozen=True)
class CostTarget:
    """Options of one cost instance: a flow, DSP blocks allowed, place and route."""

    target: str
    dsp: bool = False
    pnr: bool = False

    @property
    def flow(self) -> CostFlow:
        """The flow."""
        return CostFlow(self.target)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``pnr`` only when set, so earlier cache keys stay valid)."""
        out: dict[str, Any] = {"target": self.target, "dsp": self.dsp}
        if self.pnr:
            out["pnr"] = True
        return out


@dataclass(frozen=True)
class CostOptions:
    """``[stages.cost]``.

    Attributes
    ----------
    targets
        Flows to run, each once per point (default: ``["generic"]``).
    dsp
        FPGA flows may map multipliers to DSP blocks (default ``false``: LUT logic only,
        so designs compare by their logic).
    pnr
        Place and route the iCE40 / ECP5 flows with nextpnr for a routed ``fmax_mhz``
        (median of 3 seeds; slow: tens of seconds per design).
    """

    targets: tuple[str, ...] = ("generic",)
    dsp: bool = False
    pnr: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"targets": list(self.targets), "dsp": self.dsp, "pnr": self.pnr}


@dataclass(frozen=True)
class FlowSpec:
    """How one flow runs and what it reports.

    Attributes
    ----------
    columns
        ``options -> columns`` (keys without the instance prefix).
    tools
        ``options -> tool names`` for the cache key (:mod:`hwgen.sweep.versions`).
    run
        ``(design dir, options) -> result dict`` (numbers plus source strings).
    """

    columns: Callable[[CostTarget], tuple[Column, ...]]
    tools: Callable[[CostTarget], tuple[str, ...]]
    run: Callable[[Any, CostTarget], dict[str, Any]]


def provenance_text(p: Any) -> str:
    """One line of a :class:`~hwgen.costmodel.result.Provenance`: flow; tool; library; ..."""
    parts = [p.flow, p.tool]
    if p.library:
        parts.append(p.library)
    if p.seeds:
        parts.append("seeds " + ",".join(str(s) for s in p.seeds))
    if p.note:
        parts.append(p.note)
    return "; ".join(parts)


def report_result(report: Any, groups: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """A :class:`~hwgen.costmodel.result.CostReport` as a stage result.

    Every figure the report holds (lists and dicts stay in the cache record); for each
    source column of ``groups`` the provenance of the first of its fields that has one.
    """
    out: dict[str, Any] = {}
    for key, value in report.values().items():
        if key in ("top", "target", "design_dir"):
            continue
        out[key] = value
    for column, fields in groups.items():
        for f in fields:
            if f in report.sources and f in out:
                out[column] = provenance_text(report.sources[f])
                break
    out.setdefault("source", f"hwgen cost --target {report.target}")
    return out


def _estimate(design_dir: Any, options: CostTarget, **extra: Any) -> Any:
    from hwgen.costmodel.cost import CostOptions as QueryOptions
    from hwgen.costmodel.cost import Target, estimate_cost

    flow = options.flow
    query = QueryOptions(
        target=Target(flow.value),
        # hwgen cost's dsp flag applies to FPGA targets only (it refuses --no-dsp elsewhere).
        dsp=options.dsp if flow in _FPGA else True,
        pnr=options.pnr,
        **extra,
    )
    # The sweep keeps its own cache (per stage, keyed on tool versions and code).
    return estimate_cost(design_dir, query, use_cache=False)


_SYNTH_FIELDS = ("area_um2", "transistors", "luts", "cells")
_TIMING_FIELDS = ("fmax_mhz", "critical_path_ns", "preroute_fmax_mhz")
_TABLE_FIELDS = ("table_energy_pj_per_mac", "table_area_um2")


def _run_report(design_dir: Any, options: CostTarget) -> dict[str, Any]:
    report = _estimate(design_dir, options)
    return report_result(
        report,
        {"source": _SYNTH_FIELDS, "timing_source": _TIMING_FIELDS, "table_source": _TABLE_FIELDS},
    )


def _asic_columns(options: CostTarget) -> tuple[Column, ...]:
    return (
        Column("area_um2", "cell area (um2, embedded sky130-derived library)", "lower", "area"),
        Column("combinational_area_um2", "combinational cell area (um2)"),
        Column("sequential_area_um2", "sequential cell area (um2)"),
        Column("cells", "standard cells"),
        Column("ffs", "flip-flops"),
        Column("critical_path_ns", "critical path (ns, OpenSTA)"),
        Column("fmax_mhz", "fmax (MHz, OpenSTA)", better="higher"),
        Column("table_energy_pj_per_mac", "table estimate: energy per MAC (pJ, 45 nm)"),
        Column("table_area_um2", "table estimate: MAC area (um2)"),
        Column("source", "ASIC synthesis flow"),
        Column("timing_source", "ASIC timing"),
        Column("table_source", "table estimate"),
    )


def _generic_columns(options: CostTarget) -> tuple[Column, ...]:
    return (
        Column("cells", "generic cells (NAND/NOR/NOT + DFF)", better="lower"),
        Column("transistors", "transistors (Yosys CMOS estimate)", better="lower", role="area"),
        Column("ffs", "flip-flops"),
        Column("source", "synthesis flow"),
    )


def _fpga_columns(options: CostTarget) -> tuple[Column, ...]:
    t = options.target
    lut = "LUT6" if options.flow is CostFlow.XILINX else "LUT4"
    cols = [
        Column("luts", f"{t} LUTs ({lut})", better="lower", role="area"),
        Column("carries", f"{t} carry cells"),
        Column("ffs", f"{t} flip-flops", better="lower"),
        Column("dsps", f"{t} DSP blocks"),
        Column("brams", f"{t} block RAMs"),
        Column("cells", f"{t} cells"),
    ]
    if options.flow is CostFlow.ICE40:
        cols.append(Column("preroute_fmax_mhz", f"{t} pre-route fmax (MHz)", better="higher"))
    if options.pnr:
        cols += [
            Column("fmax_mhz", f"{t} routed fmax (MHz, nextpnr)", better="higher"),
            Column("device", f"{t} device"),
        ]
    cols.append(Column("source", "synthesis flow"))
    if options.flow is CostFlow.ICE40 or options.pnr:
        cols.append(Column("timing_source", f"{t} timing"))
    return tuple(cols)


def _fpga_tools(options: CostTarget) -> tuple[str, ...]:
    if options.pnr:
        return ("yosys", f"nextpnr-{options.target}")
    return ("yosys",)


FLOWS: Mapping[CostFlow, FlowSpec] = {
    CostFlow.ASIC: FlowSpec(_asic_columns, lambda o: ("yosys", "opensta"), _run_report),
    CostFlow.GENERIC: FlowSpec(_generic_columns, lambda o: ("yosys",), _run_report),
    CostFlow.ICE40: FlowSpec(_fpga_columns, _fpga_tools, _run_report),
    CostFlow.ECP5: FlowSpec(_fpga_columns, _fpga_tools, _run_report),
    CostFlow.XILINX: FlowSpec(_fpga_columns, _fpga_tools, _run_report),
}
"""Flow -> how it runs (one entry per :class:`CostFlow` member)."""


class CostStage(Stage):
    """The cost flows of ``hwgen cost``."""

    name = "cost"
    summary = "hwgen cost: ASIC area + OpenSTA timing, Yosys generic gates, FPGA LUTs (+ nextpnr)"
    needs = ("generate",)
    code = ("hwgen.costmodel",)

    def parse(self, table: Any) -> CostOptions:
        if table is None:
            return CostOptions()
        targets = table.list(
            "targets",
            ["generic"],
            item=lambda v: v in TARGETS,
            kind=f"a list of cost flows ({', '.join(TARGETS)})",
            nonempty=True,
            unique="target",
        )
        dsp = table.bool("dsp", False)
        if dsp and not any(CostFlow(t) in _FPGA for t in targets):
            raise table.error(
                "dsp",
                "[stages.cost] dsp = true needs an FPGA target (ice40, ecp5, xilinx),"
                f" not {', '.join(targets)}",
            )
        pnr = table.bool("pnr", False)
        if pnr and not any(CostFlow(t) in _PNR for t in targets):
            raise table.error(
                "pnr",
                f"[stages.cost] pnr = true needs an ice40 or ecp5 target, not {', '.join(targets)}",
            )
        table.finish(["targets", "dsp", "pnr"])
        return CostOptions(tuple(targets), dsp, pnr)

    def instances(self, options: CostOptions) -> tuple[StageInstance, ...]:
        return tuple(
            StageInstance(
                self,
                f"cost.{t}",
                CostTarget(
                    t, options.dsp and CostFlow(t) in _FPGA, options.pnr and CostFlow(t) in _PNR
                ),
                f"{t}_",
                self.needs,
            )
            for t in options.targets
        )

    def tools(self, options: CostTarget) -> tuple[str, ...]:
        return FLOWS[options.flow].tools(options)

    def columns(self, options: CostTarget) -> tuple[Column, ...]:
        return FLOWS[options.flow].columns(options)

    def run(
        self,
        point: Any,
        options: CostTarget,
        inputs: Mapping[str, Mapping[str, Any]],
        ctx: StageContext,
    ) -> dict[str, Any]:
        return FLOWS[options.flow].run(design_path(inputs["generate"], ctx), options)
