"""The result of ``hwgen cost``: one frozen, unit-named report with provenance per number.

Every numeric field of :class:`CostReport` carries its unit in its name and has an entry in
:attr:`CostReport.sources` naming the flow, tool and version, library and corner, seeds, or
the cited table it came from. Fields a target cannot give stay ``None`` and are left out of
:meth:`CostReport.to_dict` -- never reported as zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["CostReport", "Provenance"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Provenance:
    """Where a number came from.

    Attributes
    ----------
    flow:
        The flow or script (``"yosys synth; dfflibmap; abc -liberty ..."``).
    tool:
        Tool and version (``"yosys 0.70"``, ``"opensta 2.0.17"``), or ``"table"``.
    library:
        Cell library and corner, when one was used.
    seeds:
        Random seeds (place and route, operand streams).
    note:
        Anything else needed to reproduce or judge the number (a citation, a convention).
    """

    flow: str
    tool: str
    library: str | None = None
    seeds: tuple[int, ...] | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form without empty entries."""
        out: dict[str, Any] = {"flow": self.flow, "tool": self.tool}
        if self.library is not None:
            out["library"] = self.library
        if self.seeds is not None:
            out["seeds"] = list(self.seeds)
        if self.note is not None:
            out["note"] = self.note
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Provenance:
        """Inverse of :meth:`to_dict`."""
        seeds = d.get("seeds")
        return cls(
            flow=d["flow"],
            tool=d["tool"],
            library=d.get("library"),
            seeds=None if seeds is None else tuple(int(s) for s in seeds),
            note=d.get("note"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CostReport:
    """Cost of one design on one target.

    Attributes
    ----------
    top, target, design_dir, rtl_sha256:
        What was priced: top module, target, directory, SHA-256 over its Verilog files.
    area_um2, combinational_area_um2, sequential_area_um2:
        Standard-cell area (ASIC), before place and route.
    transistors:
        Yosys' CMOS transistor estimate (generic target).
    cells:
        Total cell count of the mapped netlist (library cells, gates, or FPGA primitives).
    cell_counts:
        Count per cell type.
    luts, ffs, carries, dsps, brams:
        FPGA resources (``ffs`` also for ASIC and generic: flip-flop cells).
    critical_path_ns, fmax_mhz, critical_path_start, critical_path_end:
        Static timing (ASIC: OpenSTA on the mapped netlist; FPGA with ``--pnr``: nextpnr
        routed, median over the seeds).
    preroute_critical_path_ns, preroute_fmax_mhz:
        iCE40 only: Yosys ``sta`` on the mapped netlist with the iCE40 cell timing models,
        a fast estimate before place and route.
    pnr_fmax_mhz_seeds, placed_cells, device:
        Place and route: fmax per seed, logic cells placed (design plus wrapper), device.
    energy_pj_per_mac, energy_internal_pj_per_mac, energy_switching_pj_per_mac,
    energy_leakage_pj_per_mac:
        Energy from switching activity, per multiply-accumulate, and its split.
    power_mw, clock_mhz, cycles_per_mac:
        Average power at ``clock_mhz``; one MAC takes ``cycles_per_mac`` clocks.
    opensta_power_mw, opensta_internal_mw, opensta_switching_mw, opensta_leakage_mw:
        OpenSTA ``report_power`` of the same netlist with the same per-net activity and arc
        shares, and its split (the cross-check of ``power_mw`` and its split; internal
        power with OpenSTA 2.0.17's rise+fall sum halved, see ``docs/cost.md``).
    activity:
        The operand stream the energy was measured on.
    table_energy_pj_per_mac, table_area_um2:
        A table-based second opinion (Horowitz 45 nm energies, Dally tutorial areas).
    model_error:
        Answers of the fitted fast model only (:mod:`hwgen.costmodel.fast`): its error on
        held-out synthesized designs, ``area_mape_pct``, ``energy_mape_pct``, ``spearman``,
        ``held_out_points`` (and the design's ``family`` with its own area error).
    sources:
        Provenance per field name.
    """

    top: str
    target: str
    design_dir: str
    rtl_sha256: str
    area_um2: float | None = None
    combinational_area_um2: float | None = None
    sequential_area_um2: float | None = None
    transistors: int | None = None
    cells: int | None = None
    cell_counts: Mapping[str, int] | None = None
    luts: int | None = None
    ffs: int | None = None
    carries: int | None = None
    dsps: int | None = None
    brams: int | None = None
    critical_path_ns: float | None = None
    fmax_mhz: float | None = None
    critical_path_start: str | None = None
    critical_path_end: str | None = None
    preroute_critical_path_ns: float | None = None
    preroute_fmax_mhz: float | None = None
    pnr_fmax_mhz_seeds: tuple[float, ...] | None = None
    placed_cells: int | None = None
    device: str | None = None
    energy_pj_per_mac: float | None = None
    energy_internal_pj_per_mac: float | None = None
    energy_switching_pj_per_mac: float | None = None
    energy_leakage_pj_per_mac: float | None = None
    power_mw: float | None = None
    opensta_power_mw: float | None = None
    opensta_internal_mw: float | None = None
    opensta_switching_mw: float | None = None
    opensta_leakage_mw: float | None = None
    clock_mhz: float | None = None
    cycles_per_mac: float | None = None
    activity: str | None = None
    table_energy_pj_per_mac: float | None = None
    table_area_um2: float | None = None
    model_error: Mapping[str, Any] | None = None
    sources: Mapping[str, Provenance] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        """The fields that hold a value (``None`` ones left out), without ``sources``."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "sources":
                continue
            v = getattr(self, f.name)
            if v is None:
                continue
            if isinstance(v, tuple):
                v = list(v)
            elif isinstance(v, Mapping):
                v = dict(v)
            out[f.name] = v
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: every field with a value, and ``source`` for each number."""
        out = self.values()
        out["source"] = {k: p.to_dict() for k, p in sorted(self.sources.items()) if k in out}
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CostReport:
        """Inverse of :meth:`to_dict` (used by the result cache)."""
        kwargs: dict[str, Any] = {}
        names = {f.name for f in fields(cls)}
        for k, v in d.items():
            if k == "source" or k not in names:
                continue
            kwargs[k] = tuple(v) if k == "pnr_fmax_mhz_seeds" else v
        kwargs["sources"] = {k: Provenance.from_dict(p) for k, p in d.get("source", {}).items()}
        return cls(**kwargs)
