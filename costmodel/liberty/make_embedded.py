"""Generate hwgen's embedded cell library from the SkyWater sky130_fd_sc_hd Liberty file.

hwgen ships a small Liberty library (``hwgen_sky130hd_tt.lib`` beside this script) so the
ASIC flow works on a machine with no PDK. Every number in it -- area, pin capacitance,
delay and transition tables, internal energy tables, leakage, setup/hold constraints, the
wire-load model -- is copied unchanged from the published open characterisation of the
SkyWater SKY130 high-density standard cells (``sky130_fd_sc_hd``, typical corner
``tt_025C_1v80``: tt process, 25 C, 1.8 V), Apache License 2.0. Only the selection is
hwgen's: the cells in :data:`CELLS`, renamed ``hwgen_*`` so a netlist says which library
it was mapped to; library-level data reduced to what those cells use; and the power-pin
groups (``pg_pin``) and simulator hints dropped, which neither Yosys nor OpenSTA need.

Run by hand against the full library (the generated file is committed)::

    python -m hwgen.costmodel.liberty.make_embedded \\
        ../shared/reference/liberty/sky130hd_tt.lib.gz \\
        [-o costmodel/liberty/hwgen_sky130hd_tt.lib]

The output is deterministic: running it again on the same input gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from hwgen.costmodel.liberty.parse import Attribute, ComplexAttribute, Group, parse, write

__all__ = ["CELLS", "LIBRARY_NAME", "OUTPUT", "make_embedded"]

LIBRARY_NAME = "hwgen_sky130hd_tt_025C_1v80"
"""Name of the generated library group."""
OUTPUT = Path(__file__).resolve().parent / "hwgen_sky130hd_tt.lib"
"""Where the generated library is written by default."""
SOURCE_PREFIX = "sky130_fd_sc_hd__"

CELLS: dict[str, str] = {
    "hwgen_inv": "clkinv_1",
    "hwgen_buf": "buf_1",
    "hwgen_nand2": "nand2_1",
    "hwgen_nand3": "nand3_1",
    "hwgen_nor2": "nor2_1",
    "hwgen_nor3": "nor3_1",
    "hwgen_and2": "and2_0",
    "hwgen_or2": "or2_0",
    "hwgen_xor2": "xor2_1",
    "hwgen_xnor2": "xnor2_1",
    "hwgen_aoi21": "a21oi_1",
    "hwgen_oai21": "o21ai_0",
    "hwgen_aoi22": "a22oi_1",
    "hwgen_mux2": "mux2_1",
    "hwgen_maj3": "maj3_1",
    "hwgen_dff": "dfxtp_1",
    "hwgen_dffr": "dfrtp_1",
    "hwgen_tie": "conb_1",
    "hwgen_nor2b": "nor2b_1",
    "hwgen_nand2b": "nand2b_1",
    "hwgen_o21a": "o21a_1",
    "hwgen_a21o": "a21o_1",
    "hwgen_nand4": "nand4_1",
    "hwgen_and3": "and3_1",
    "hwgen_a31oi": "a31oi_1",
    "hwgen_xnor3": "xnor3_1",
    "hwgen_o21bai": "o21bai_1",
    "hwgen_a211oi": "a211oi_1",
    "hwgen_o211ai": "o211ai_1",
    "hwgen_a21boi": "a21boi_0",
    "hwgen_xor3": "xor3_1",
    "hwgen_mux2i": "mux2i_1",
    "hwgen_nor3b": "nor3b_1",
    "hwgen_a22o": "a22o_1",
    "hwgen_and4": "and4_1",
    "hwgen_o31ai": "o31ai_1",
    "hwgen_mux4": "mux4_2",
    "hwgen_o31a": "o31a_1",
    "hwgen_a31o": "a31o_1",
    "hwgen_nor4": "nor4_1",
    "hwgen_a2111oi": "a2111oi_0",
    "hwgen_oai22": "o22ai_1",
    "hwgen_or3": "or3_1",
    "hwgen_a21bo": "a21bo_1",
}
"""hwgen cell name -> sky130_fd_sc_hd cell it is copied from (without the prefix).

The selection: the basic gates, AOI/OAI, MUX2, MAJ3 and flip-flops hwgen's flow needs, plus
the cells (and the drive variant: ``_0`` / ``_1``) that carry most of the area when the
same designs (INT4/INT8/FP4/FP6/FP8 MACs with exact and FP32 accumulators, a 2x2 array,
the BitMoD PE) are mapped to the full library, so the embedded library's area, delay and
energy track the full one (``bench/bench_liberty.py``)."""

# Library-level attributes kept (units, defaults and the operating point).
_LIBRARY_ATTRS = {
    "technology",
    "delay_model",
    "bus_naming_style",
    "time_unit",
    "voltage_unit",
    "leakage_power_unit",
    "current_unit",
    "pulling_resistance_unit",
    "capacitive_load_unit",
    "default_cell_leakage_power",
    "default_fanout_load",
    "default_inout_pin_cap",
    "default_input_pin_cap",
    "default_max_transition",
    "default_output_pin_cap",
    "default_leakage_power_density",
    "default_operating_conditions",
    "default_wire_load",
    "default_wire_load_mode",
    "nom_voltage",
    "nom_temperature",
    "nom_process",
    "input_threshold_pct_fall",
    "input_threshold_pct_rise",
    "output_threshold_pct_fall",
    "output_threshold_pct_rise",
    "slew_derate_from_library",
    "slew_lower_threshold_pct_fall",
    "slew_lower_threshold_pct_rise",
    "slew_upper_threshold_pct_fall",
    "slew_upper_threshold_pct_rise",
}
# Attributes of cells and pins that only simulators or power-grid tools read.
_DROPPED_ATTRS = {
    "sim_opt",
    "violation_delay_degrade_pct",
    "driver_waveform_fall",
    "driver_waveform_rise",
    "driver_waveform",
    "power_down_function",
    "related_ground_pin",
    "related_power_pin",
    "related_bias_pin",
    "cell_footprint",
}
_DROPPED_GROUPS = {"pg_pin"}


def _strip(group: Group) -> Group:
    items: list[Attribute | ComplexAttribute | Group] = []
    for item in group.items:
        if isinstance(item, Group):
            if item.kind not in _DROPPED_GROUPS:
                items.append(_strip(item))
        elif item.name not in _DROPPED_ATTRS:
            items.append(item)
    return Group(group.kind, group.args, items)


def _templates_used(cells: list[Group]) -> set[str]:
    used: set[str] = set()

    def visit(g: Group) -> None:
        for sub in g.groups():
            if sub.args and sub.kind.endswith(
                ("_rise", "_fall", "_transition", "_power", "_constraint")
            ):
                used.add(sub.name)
            visit(sub)

    for c in cells:
        visit(c)
    return used


def make_embedded(source: Path) -> str:
    """The embedded library's text, built from the full sky130_fd_sc_hd Liberty file."""
    data = source.read_bytes()
    full = parse(data, source=str(source))
    by_name = {g.name: g for g in full.groups("cell")}
    cells = []
    for own, theirs in CELLS.items():
        src = by_name.get(SOURCE_PREFIX + theirs)
        if src is None:
            raise SystemExit(f"{source}: no cell {SOURCE_PREFIX + theirs}")
        cells.append(Group("cell", (f'"{own}"',), _strip(src).items))
    used = _templates_used(cells)
    default_wl = full.attr("default_wire_load")
    items: list[Attribute | ComplexAttribute | Group] = []
    for item in full.items:
        if isinstance(item, Group):
            if item.kind == "operating_conditions" or (
                item.kind == "wire_load" and item.name == default_wl
            ):
                items.append(item)
            elif item.kind in ("lu_table_template", "power_lut_template") and item.name in used:
                items.append(item)
        elif item.name in _LIBRARY_ATTRS:
            items.append(item)
    items.extend(cells)
    lib = Group("library", (f'"{LIBRARY_NAME}"',), items)
    mapping = "\n".join(f"  {own:<12} <- {SOURCE_PREFIX}{theirs}" for own, theirs in CELLS.items())
    header = f"""hwgen embedded standard-cell library {LIBRARY_NAME}

Every number below (area, pin capacitance, delay/transition tables, internal energy
tables, leakage, setup/hold constraints, wire-load model) is copied unchanged from the
SkyWater SKY130 high-density standard-cell library sky130_fd_sc_hd, typical corner
tt_025C_1v80 (tt process, 25 C, 1.8 V), as published by SkyWater Technology and Google
under the Apache License 2.0 (https://github.com/google/skywater-pdk).
Source file: {source.name} (library {full.name}), sha256 {hashlib.sha256(data).hexdigest()}.

hwgen's choices: the {len(CELLS)} cells below, renamed; only the library data these cells
use; pg_pin groups and simulator hints removed. Tables keep their full 7x7 size.
Generated by `python -m hwgen.costmodel.liberty.make_embedded {source.name}`; do not edit.

Cells (hwgen name <- sky130_fd_sc_hd cell):
{mapping}"""
    return write(lib, header=header)


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path, help="sky130_fd_sc_hd tt Liberty file (.lib or .lib.gz)")
    ap.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = ap.parse_args(argv)
    text = make_embedded(args.source)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text):,} bytes, {len(CELLS)} cells)")


if __name__ == "__main__":
    main()
