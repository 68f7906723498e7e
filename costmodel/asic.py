"""ASIC synthesis: map a design to a Liberty standard-cell library with Yosys.

The flow (``shared/reference/toolchain.md`` records it working on sky130)::

    synth -flatten -top <top>
    dfflibmap -liberty cells.lib            # flip-flops -> the library's D flip-flops
    abc -liberty cells.lib -constr abc.constr -D <target> -dont_use <pat>
                                            # logic -> the library's gates, buffered, sized
    opt_clean
    setundef -zero; splitnets
    hilomap -hicell <tie> HI -locell <tie> LO   # constants -> tie cells
    opt_clean
    stat -liberty cells.lib                 # area per cell type
    write_verilog -noattr netlist.v         # the mapped netlist, for OpenSTA and simulation

``abc`` maps with ABC's standard-cell script for a constrained design (``&nf`` mapping,
then ``buffer; upsize; dnsize``: buffering and gate sizing against the library's own delay
tables). The constraints are the same for every library, so two libraries are compared on
the same terms (:func:`abc_constraints`): the primary inputs are driven by the library's
flow inverter, each primary output loads one data pin of the library's flow flip-flop, and
the delay target is :data:`DELAY_TARGET_PS` (1000 ns, the period OpenSTA times with): a
target no design here gets near, so sizing repairs what the load-blind mapping left weak
without trading area for speed. Without the sizing step, ABC left an ``a2111oi_0`` driving
0.037 pF (its ``max_capacitance`` is 0.021 pF; output slew 2.8 ns, ``max_transition``
1.46 ns) on the 2x2 INT4 array's critical path on sky130_fd_sc_hd: 1.94 ns for one stage,
a netlist no synthesis flow would hand on. A binding target (10 ns) is no fairer: it makes
ABC upsize the full library's critical cells, which a one-drive-per-function library
cannot match (``docs/cost.md``).

``dont_use`` defaults to ``*lpflow*``: sky130's low-power-flow isolation and retention cells
are not general logic, and without it ABC picks them. A synchronous reset or enable becomes
gates in front of a plain D flip-flop (hwgen's designs reset synchronously).

The default library is hwgen's embedded one (:mod:`hwgen.costmodel.liberty`); any Liberty
file can be given instead. Areas are the library's cell areas (um2) summed, before place
and route (no utilisation factor).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwgen.costmodel.liberty.library import Library, flow_cells
from hwgen.costmodel.synth import SynthesisError, run_yosys
from hwgen.errors import HwgenError
from hwgen.tools.scratch import scratch_dir
from hwgen.tools.sources import DesignSources

__all__ = [
    "DELAY_TARGET_PS",
    "AsicSynthesis",
    "abc_constraints",
    "asic_commands",
    "library_text",
    "synthesize_asic",
]

LIB_FILE = "cells.lib"
CONSTR_FILE = "abc.constr"
DELAY_TARGET_PS = 1_000_000
"""ABC's delay target (``abc -D``, ps): OpenSTA's timing period, never binding."""
NETLIST_FILE = "netlist.v"
STAT_FILE = "stat.json"
DEFAULT_DONT_USE = ("*lpflow*",)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_PATTERN = re.compile(r"[A-Za-z0-9_*?]+")
# OpenSTA 2.0.17's Verilog reader rejects `signed` in declarations; a gate netlist has no
# arithmetic, so dropping the keyword changes nothing.
_SIGNED_DECL = re.compile(r"^(\s*(?:input|output|inout|wire|reg))\s+signed\b", re.M)
# Yosys names private nets and cells `_123_`; Verilator does not trace names that start
# with `_`, and the energy simulation needs every net, so they become `hwn123`.
_PRIVATE = re.compile(r"(?<![\w$\\])_(\d+)_(?![\w$])")
_RENAMED = "hwn"


@dataclass(frozen=True, slots=True, kw_only=True)
class AsicSynthesis:
    """A design mapped to a cell library.

    Attributes
    ----------
    top:
        Top module.
    library:
        The library mapped to.
    area_um2, combinational_area_um2, sequential_area_um2:
        Summed cell area (Yosys ``stat -liberty``), total and split.
    cells:
        Cell count per library cell type.
    num_cells:
        Total cell count.
    netlist:
        The mapped Verilog netlist (text), ready for OpenSTA and for simulation.
    yosys_version:
        ``yosys 0.70``-style version of the Yosys that ran.
    flow:
        The Yosys commands, ``;``-joined (provenance).
    runtime_s:
        Wall time of the Yosys run.
    """

    top: str
    library: Library
    area_um2: float
    combinational_area_um2: float
    sequential_area_um2: float
    cells: dict[str, int]
    num_cells: int
    netlist: str
    yosys_version: str
    flow: str
    runtime_s: float


def asic_commands(
    top: str, library: Library, *, dont_use: Sequence[str] = DEFAULT_DONT_USE
) -> list[str]:
    """The Yosys commands of the ASIC flow (after the sources are read).

    Raises
    ------
    HwgenError
        ``top`` is not an identifier or a ``dont_use`` pattern has other characters than
        letters, digits, ``_``, ``*`` and ``?``.
    LibraryError
        The library lacks a cell the flow needs.
    """
    if not _IDENT.fullmatch(top):
        raise HwgenError(f"top must be a Verilog identifier, not {top!r}")
    for pat in dont_use:
        if not _PATTERN.fullmatch(pat):
            raise HwgenError(f"dont_use pattern must use letters, digits, _, * and ?, not {pat!r}")
    need = flow_cells(library)
    dont = "".join(f" -dont_use {p}" for p in dont_use)
    return [
        f"synth -flatten -top {top}",
        f"dfflibmap -liberty {LIB_FILE}",
        f"abc -liberty {LIB_FILE} -constr {CONSTR_FILE} -D {DELAY_TARGET_PS}{dont}",
        "opt_clean",
        "setundef -zero",
        "splitnets",
        f"hilomap -hicell {' '.join(need.tie_hi)} -locell {' '.join(need.tie_lo)}",
        "opt_clean",
    ]


def synthesize_asic(
    sources: DesignSources,
    top: str,
    library: Library,
    *,
    dont_use: Sequence[str] = DEFAULT_DONT_USE,
    params: Mapping[str, int] | None = None,
) -> AsicSynthesis:
    """Map a design to ``library`` and measure its area.

    ``params`` overrides integer parameters of the top module (Yosys ``chparam``), e.g. the
    widths of the behavioural reference MACs.

    Raises
    ------
    SynthesisError
        Yosys failed (its error line), or cells remain that are not library cells (the
        library cannot implement some flip-flop type of the design, e.g. an asynchronous
        reset).
    LibraryError
        The library lacks a cell the flow needs.
    """
    commands = asic_commands(top, library, dont_use=dont_use)
    lib_text = library_text(library)
    with scratch_dir("asic") as work:
        (Path(work) / LIB_FILE).write_text(lib_text, encoding="utf-8")
        (Path(work) / CONSTR_FILE).write_text(abc_constraints(library), encoding="utf-8")
        run = run_yosys(
            [*sources.verilog, *sources.headers],
            [
                *(f"chparam -set {k} {int(v)} {top}" for k, v in sorted((params or {}).items())),
                *commands,
                f"tee -q -o {STAT_FILE} stat -json -liberty {LIB_FILE}",
                f"write_verilog -noattr {NETLIST_FILE}",
            ],
            outputs=(STAT_FILE, NETLIST_FILE),
            label=f"yosys ASIC synthesis of {top} to {library.name}",
            workdir=work,
        )
    stat: dict[str, Any] = json.loads(run.outputs[STAT_FILE])
    design = stat.get("design", {})
    cells = {str(k): int(v) for k, v in sorted(design.get("num_cells_by_type", {}).items())}
    if not cells:
        raise SynthesisError(f"yosys ASIC synthesis of {top} produced no cells (all logic removed)")
    unmapped = sorted(c for c in cells if c not in library.cells)
    if unmapped:
        raise SynthesisError(
            f"yosys ASIC synthesis of {top}: cells not in library {library.name}: "
            f"{', '.join(unmapped)} (the library has no cell for them)"
        )
    area = float(design["area"])
    seq = float(design.get("sequential_area", 0.0))
    match = re.match(r"Yosys (\S+)", str(stat.get("creator", "")))
    return AsicSynthesis(
        top=top,
        library=library,
        area_um2=round(area, 4),
        combinational_area_um2=round(area - seq, 4),
        sequential_area_um2=round(seq, 4),
        cells=cells,
        num_cells=int(design["num_cells"]),
        netlist=_clean_netlist(run.outputs[NETLIST_FILE], top),
        yosys_version=f"yosys {match.group(1)}" if match else "yosys (unknown version)",
        flow="; ".join(c.replace(f" -top {top}", "") for c in commands),
        runtime_s=run.runtime_s,
    )


def abc_constraints(library: Library) -> str:
    """ABC's constraint file: what drives the primary inputs and loads the outputs.

    Inputs are driven by the flow's inverter (:func:`flow_cells`), outputs load one data
    pin of the flow's flip-flop (ABC reads the load in fF); both are found by function, so
    every library gets the same kind of constraint.

    Raises
    ------
    LibraryError
        The library lacks a cell the flow needs.
    """
    need = flow_cells(library)
    dff = library.cells[need.dff]
    assert dff.ff is not None  # flow_cells picked it for its ff group
    load_ff = dff.pins[dff.ff.next_state].cap_pf * 1000.0
    return f"set_driving_cell {need.inverter}\nset_load {load_ff:.4f}\n"


def _clean_netlist(text: str, top: str) -> str:
    """Netlist text OpenSTA 2.0.17 and Verilator's tracing accept (see the patterns)."""
    if re.search(rf"(?<![\w$]){_RENAMED}\d+(?![\w$])", text):
        raise SynthesisError(f"netlist of {top} already uses names like {_RENAMED}<n>")
    text = _PRIVATE.sub(rf"{_RENAMED}\1", text)
    return _SIGNED_DECL.sub(r"\1", text)


def library_text(library: Library) -> str:
    """The library as plain text (Yosys and ABC read uncompressed Liberty)."""
    data = library.path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", errors="replace")
