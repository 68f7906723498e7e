"""Typed view of a Liberty library: units, cells, pins, timing and power tables.

:func:`load_library` reads a ``.lib`` file (plain or ``.gz``), interprets it into frozen
objects and checks that it can drive hwgen's ASIC flow (:func:`flow_cells`): Yosys needs a
plain D flip-flop for ``dfflibmap``, an inverter and a two-input gate for ``abc``, and tie
cells for constant nets (``hilomap``). Units are converted once to SI-named fields
(``area_um2``, ``cap_pf``, times in ns, energies in pJ, leakage in nW) so no caller has to
know the file's unit attributes.

Table lookups (:meth:`Table.lookup`) interpolate bilinearly and extrapolate linearly outside
the characterised range, as static timing tools do.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from hwgen.costmodel.liberty.expr import Expr, parse_expr
from hwgen.costmodel.liberty.parse import ComplexAttribute, Group, LibertySyntaxError, parse
from hwgen.errors import HwgenError

__all__ = [
    "Cell",
    "FlowCells",
    "InternalPower",
    "Library",
    "LibraryError",
    "Pin",
    "Table",
    "TimingArc",
    "WireLoad",
    "flow_cells",
    "load_library",
]


class LibraryError(HwgenError):
    """A Liberty file that cannot be used: unreadable, not Liberty, or missing needed cells."""


@dataclass(frozen=True, slots=True)
class Table:
    """A one- or two-dimensional lookup table.

    Attributes
    ----------
    variables:
        Template variable names (``input_net_transition``, ``total_output_net_capacitance``,
        ``related_pin_transition``, ...), one per axis.
    index:
        Breakpoints per axis, in library units.
    values:
        Table values (shape = lengths of ``index``; a scalar table has shape ``()``).
    """

    variables: tuple[str, ...]
    index: tuple[tuple[float, ...], ...]
    values: np.ndarray

    def lookup(self, *, slew: float = 0.0, load: float = 0.0) -> float:
        """The value at an input transition ``slew`` and an output ``load`` (library units)."""
        if self.values.ndim == 0:
            return float(self.values)
        coords = [load if "capacitance" in var else slew for var in self.variables]
        return _interp(self.values, self.index, coords)


def _interp(values: np.ndarray, index: tuple[tuple[float, ...], ...], coords: list[float]) -> float:
    """Multilinear interpolation (linear extrapolation beyond the end points)."""
    if not index:
        return float(values)
    axis = index[0]
    x = coords[0]
    if len(axis) == 1:
        return _interp(values[0], index[1:], coords[1:])
    i = int(np.searchsorted(axis, x)) - 1
    i = min(max(i, 0), len(axis) - 2)
    x0, x1 = axis[i], axis[i + 1]
    t = (x - x0) / (x1 - x0) if x1 != x0 else 0.0
    v0 = _interp(values[i], index[1:], coords[1:])
    v1 = _interp(values[i + 1], index[1:], coords[1:])
    return v0 + t * (v1 - v0)


@dataclass(frozen=True, slots=True)
class InternalPower:
    """One ``internal_power`` group of a pin: energy per transition (pJ) tables.

    ``related_pin`` is the input whose transition causes the output transition (output
    pins); ``None`` on input pins, whose tables price the pin's own transitions.
    """

    related_pin: str | None
    when: Expr | None
    rise: Table | None
    fall: Table | None


@dataclass(frozen=True, slots=True)
class TimingArc:
    """One ``timing`` group (delay/transition tables in ns against ns and pF)."""

    related_pin: str
    timing_type: str
    timing_sense: str
    cell_rise: Table | None
    cell_fall: Table | None
    rise_transition: Table | None
    fall_transition: Table | None


@dataclass(frozen=True, slots=True)
class Pin:
    """A cell pin."""

    name: str
    direction: str
    cap_pf: float
    function: Expr | None
    function_text: str | None
    clock: bool
    internal_power: tuple[InternalPower, ...]
    timing: tuple[TimingArc, ...]
    rise_cap_pf: float = 0.0
    """Capacitance a rising input presents (``rise_capacitance``, else ``capacitance``):
    the charge a driver draws from the supply, so the one switching energy is priced with."""


@dataclass(frozen=True, slots=True)
class FlipFlop:
    """A cell's ``ff`` group."""

    clocked_on: str
    next_state: str
    clear: str | None
    preset: str | None


@dataclass(frozen=True, slots=True)
class Cell:
    """A library cell (area in um2, leakage in nW)."""

    name: str
    area_um2: float
    leakage_nw: float | None
    leakage_states: tuple[tuple[Expr, float], ...]
    pins: Mapping[str, Pin]
    ff: FlipFlop | None
    dont_use: bool

    @property
    def inputs(self) -> tuple[str, ...]:
        """Input pin names, in library order."""
        return tuple(p.name for p in self.pins.values() if p.direction == "input")

    @property
    def outputs(self) -> tuple[str, ...]:
        """Output pin names, in library order."""
        return tuple(p.name for p in self.pins.values() if p.direction == "output")

    @property
    def sequential(self) -> bool:
        """The cell holds state (an ``ff`` group)."""
        return self.ff is not None


@dataclass(frozen=True, slots=True)
class WireLoad:
    """A wire-load model: net capacitance estimated from the fanout."""

    name: str
    cap_per_length_pf: float
    slope: float
    fanout_length: tuple[tuple[int, float], ...]

    def cap_pf(self, fanout: int) -> float:
        """Estimated wire capacitance of a net with ``fanout`` loads."""
        if fanout <= 0:
            return 0.0
        table = dict(self.fanout_length)
        if fanout in table:
            length = table[fanout]
        else:
            last_n, last_len = max(self.fanout_length)
            length = last_len + (fanout - last_n) * self.slope
        return length * self.cap_per_length_pf


@dataclass(frozen=True, slots=True)
class Library:
    """A parsed, unit-normalised Liberty library.

    Attributes
    ----------
    name:
        The library group's name.
    path:
        The file it came from.
    sha256:
        SHA-256 of the file's bytes (as stored, compressed or not): part of every cache key.
    voltage_v, temperature_c, process:
        The default operating conditions.
    corner:
        Name of the default operating conditions (e.g. ``tt_025C_1v80``).
    cells:
        Every cell by name.
    wire_load:
        The default wire-load model, if the library names one.
    """

    name: str
    path: Path
    sha256: str
    voltage_v: float
    temperature_c: float | None
    process: float | None
    corner: str
    cells: Mapping[str, Cell]
    wire_load: WireLoad | None
    time_unit_ns: float
    cap_unit_pf: float
    leakage_unit_nw: float
    energy_unit_pj: float

    @property
    def label(self) -> str:
        """``<name> (<corner>, <V> V, <T> C)`` for provenance strings."""
        temp = "" if self.temperature_c is None else f", {self.temperature_c:g} C"
        return f"{self.name} ({self.corner}, {self.voltage_v:g} V{temp})"


@dataclass(frozen=True, slots=True)
class FlowCells:
    """The cells the ASIC flow relies on (see :func:`flow_cells`)."""

    dff: str
    inverter: str
    tie_hi: tuple[str, str]
    tie_lo: tuple[str, str]


def load_library(path: str | os.PathLike[str]) -> Library:
    """Read and interpret a Liberty file (``.lib`` or gzip-compressed ``.lib.gz``).

    Results are cached per (resolved path, size, mtime) for the life of the process.

    Raises
    ------
    LibraryError
        The file is missing, not Liberty, or has no usable cells.
    """
    p = Path(path).expanduser()
    try:
        st = p.resolve().stat()
    except FileNotFoundError:
        raise LibraryError(f"liberty file not found: {p}") from None
    if not p.is_file():
        raise LibraryError(f"liberty path is not a file: {p}")
    return _load_cached(str(p.resolve()), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=8)
def _load_cached(path: str, size: int, mtime_ns: int) -> Library:
    data = Path(path).read_bytes()
    try:
        root = parse(data, source=path)
    except LibertySyntaxError as exc:
        raise LibraryError(f"liberty file does not parse: {exc}") from None
    return _interpret(root, Path(path), hashlib.sha256(data).hexdigest())


_UNIT = re.compile(r"^\s*([0-9.eE+-]+)\s*([a-zA-Z]+)\s*$")
_SCALE = {
    "s": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "ns": 1e-9,
    "ps": 1e-12,
    "fs": 1e-15,
    "f": 1.0,
    "mf": 1e-3,
    "uf": 1e-6,
    "nf": 1e-9,
    "pf": 1e-12,
    "ff": 1e-15,
    "w": 1.0,
    "mw": 1e-3,
    "uw": 1e-6,
    "nw": 1e-9,
    "pw": 1e-12,
    "fw": 1e-15,
    "v": 1.0,
    "mv": 1e-3,
}


def _unit(text: str | None, default: float, what: str, source: Path) -> float:
    """A unit string like ``1ns`` as a multiple of the base unit (s, F, W, V)."""
    if text is None:
        return default
    m = _UNIT.match(text)
    if m is None or m.group(2).lower() not in _SCALE:
        raise LibraryError(f"{source}: cannot read {what} {text!r}")
    return float(m.group(1)) * _SCALE[m.group(2).lower()]


def _float(text: str | None, what: str, source: Path) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise LibraryError(f"{source}: {what} is not a number: {text!r}") from None


def _interpret(root: Group, source: Path, sha256: str) -> Library:
    time_s = _unit(root.attr("time_unit"), 1e-9, "time_unit", source)
    cap_args = root.complex("capacitive_load_unit")
    if cap_args is not None and len(cap_args) == 2:
        cap_f = float(cap_args[0]) * _SCALE.get(cap_args[1].strip().lower(), float("nan"))
        if not np.isfinite(cap_f):
            raise LibraryError(f"{source}: cannot read capacitive_load_unit {cap_args}")
    else:
        cap_f = 1e-12
    volt = _unit(root.attr("voltage_unit"), 1.0, "voltage_unit", source)
    leak_w = _unit(root.attr("leakage_power_unit"), 1e-9, "leakage_power_unit", source)
    templates = {
        g.name: tuple(
            v
            for v in (g.attr("variable_1"), g.attr("variable_2"), g.attr("variable_3"))
            if v is not None
        )
        for g in root.items
        if isinstance(g, Group) and g.kind in ("lu_table_template", "power_lut_template")
    }
    template_index = {
        g.name: tuple(g.complex(f"index_{i}") for i in (1, 2, 3))
        for g in root.items
        if isinstance(g, Group) and g.kind in ("lu_table_template", "power_lut_template")
    }
    # Default operating conditions.
    oc_name = root.attr("default_operating_conditions")
    conditions = {g.name: g for g in root.groups("operating_conditions")}
    oc = conditions.get(oc_name or "") or next(iter(conditions.values()), None)
    voltage = _float(oc.attr("voltage"), "voltage", source) if oc is not None else None
    if voltage is None:
        voltage = _float(root.attr("nom_voltage"), "nom_voltage", source)
    if voltage is None:
        raise LibraryError(f"{source}: no operating voltage (operating_conditions or nom_voltage)")
    temperature = _float(oc.attr("temperature"), "temperature", source) if oc is not None else None
    if temperature is None:
        temperature = _float(root.attr("nom_temperature"), "nom_temperature", source)
    process = _float(oc.attr("process"), "process", source) if oc is not None else None
    corner = oc.name if oc is not None else (oc_name or "default")
    wire_loads = {g.name: g for g in root.groups("wire_load")}
    default_wl = root.attr("default_wire_load")
    wire_load = None
    if default_wl is not None and default_wl in wire_loads:
        wire_load = _wire_load(wire_loads[default_wl], source)
    ctx = _Ctx(templates, template_index, source)
    cells: dict[str, Cell] = {}
    for g in root.groups("cell"):
        cells[g.name] = _cell(g, ctx, leak_w)
    if not cells:
        raise LibraryError(f"{source}: the library has no cells")
    return Library(
        name=root.name,
        path=source,
        sha256=sha256,
        voltage_v=voltage * volt,
        temperature_c=temperature,
        process=process,
        corner=corner,
        cells=cells,
        wire_load=wire_load,
        time_unit_ns=time_s / 1e-9,
        cap_unit_pf=cap_f / 1e-12,
        leakage_unit_nw=leak_w / 1e-9,
        energy_unit_pj=cap_f / 1e-12 * volt * volt,
    )


@dataclass(frozen=True, slots=True)
class _Ctx:
    templates: Mapping[str, tuple[str, ...]]
    template_index: Mapping[str, tuple[tuple[str, ...] | None, ...]]
    source: Path


def _numbers(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.replace(",", " ").split())


def _table(group: Group | None, ctx: _Ctx) -> Table | None:
    if group is None:
        return None
    template = group.name
    variables = ctx.templates.get(template, ())
    rows = group.complex("values")
    if rows is None:
        return None
    values = [list(_numbers(r)) for r in rows]
    if template == "scalar" or not variables:
        return Table(variables=(), index=(), values=np.array(values[0][0]))
    index: list[tuple[float, ...]] = []
    defaults = ctx.template_index.get(template, (None, None, None))
    for i in range(len(variables)):
        own = group.complex(f"index_{i + 1}")
        raw = own if own is not None else defaults[i]
        if raw is None:
            raise LibraryError(f"{ctx.source}: table {template!r} lacks index_{i + 1}")
        index.append(_numbers(" ".join(raw)))
    arr = np.array(values, dtype=float)
    if len(variables) == 1:
        arr = arr.reshape(-1)
    shape = tuple(len(ix) for ix in index)
    if arr.shape != shape:
        raise LibraryError(
            f"{ctx.source}: table {template!r} has shape {arr.shape}, index gives {shape}"
        )
    return Table(variables=variables, index=tuple(index), values=arr)


def _sub(group: Group, kind: str) -> Group | None:
    return next(group.groups(kind), None)


def _pin(g: Group, ctx: _Ctx) -> Pin:
    func_text = g.attr("function")
    powers = []
    for ip in g.groups("internal_power"):
        when = ip.attr("when")
        powers.append(
            InternalPower(
                related_pin=ip.attr("related_pin"),
                when=parse_expr(when) if when else None,
                rise=_table(_sub(ip, "rise_power"), ctx),
                fall=_table(_sub(ip, "fall_power"), ctx),
            )
        )
    arcs = []
    for t in g.groups("timing"):
        arcs.append(
            TimingArc(
                related_pin=t.attr("related_pin") or "",
                timing_type=t.attr("timing_type") or "combinational",
                timing_sense=t.attr("timing_sense") or "",
                cell_rise=_table(_sub(t, "cell_rise"), ctx),
                cell_fall=_table(_sub(t, "cell_fall"), ctx),
                rise_transition=_table(_sub(t, "rise_transition"), ctx),
                fall_transition=_table(_sub(t, "fall_transition"), ctx),
            )
        )
    cap = _float(g.attr("capacitance"), "capacitance", ctx.source)
    if cap is None:
        rise = _float(g.attr("rise_capacitance"), "rise_capacitance", ctx.source)
        fall = _float(g.attr("fall_capacitance"), "fall_capacitance", ctx.source)
        known = [c for c in (rise, fall) if c is not None]
        cap = max(known) if known else 0.0
    rise_cap = _float(g.attr("rise_capacitance"), "rise_capacitance", ctx.source)
    return Pin(
        name=g.name,
        direction=g.attr("direction") or "input",
        cap_pf=cap,
        function=parse_expr(func_text) if func_text else None,
        function_text=func_text,
        clock=(g.attr("clock") or "false").lower() == "true",
        internal_power=tuple(powers),
        timing=tuple(arcs),
        rise_cap_pf=rise_cap if rise_cap is not None else cap,
    )


def _cell(g: Group, ctx: _Ctx, leak_w: float) -> Cell:
    pins: dict[str, Pin] = {}
    for pg in g.groups("pin"):
        for name in pg.args:
            pins[name.strip('"')] = replace(_pin(pg, ctx), name=name.strip('"'))
    for bus in g.groups("bus"):
        for pg in bus.groups("pin"):
            pins[pg.name] = _pin(pg, ctx)
    ff_group = _sub(g, "ff")
    ff = None
    if ff_group is not None:
        ff = FlipFlop(
            clocked_on=ff_group.attr("clocked_on") or "",
            next_state=ff_group.attr("next_state") or "",
            clear=ff_group.attr("clear"),
            preset=ff_group.attr("preset"),
        )
    states = []
    for lp in g.groups("leakage_power"):
        value = _float(lp.attr("value"), "leakage_power value", ctx.source)
        when = lp.attr("when")
        if value is not None and when:
            states.append((parse_expr(when), value * leak_w / 1e-9))
    leak = _float(g.attr("cell_leakage_power"), "cell_leakage_power", ctx.source)
    return Cell(
        name=g.name,
        area_um2=_float(g.attr("area"), "area", ctx.source) or 0.0,
        leakage_nw=None if leak is None else leak * leak_w / 1e-9,
        leakage_states=tuple(states),
        pins=pins,
        ff=ff,
        dont_use=(g.attr("dont_use") or "false").lower() == "true",
    )


def _wire_load(g: Group, source: Path) -> WireLoad:
    lengths = []
    for item in g.items:
        if isinstance(item, ComplexAttribute) and item.name == "fanout_length":
            n, length = item.args
            lengths.append((int(float(n)), float(length)))
    return WireLoad(
        name=g.name,
        cap_per_length_pf=_float(g.attr("capacitance"), "wire_load capacitance", source) or 0.0,
        slope=_float(g.attr("slope"), "wire_load slope", source) or 0.0,
        fanout_length=tuple(sorted(lengths)),
    )


def _truth(expr: Expr | None, names: tuple[str, ...]) -> tuple[bool, ...] | None:
    """Truth table of ``expr`` over ``names`` (None when it reads other variables)."""
    if expr is None or not expr.variables() <= set(names):
        return None
    rows = []
    for code in range(1 << len(names)):
        env = {n: bool(code >> i & 1) for i, n in enumerate(names)}
        rows.append(bool(expr.evaluate(env)))
    return tuple(rows)


def flow_cells(lib: Library) -> FlowCells:
    """The cells the ASIC flow needs, found by function, or one line saying what is missing.

    Needed: a D flip-flop with no set/reset (``ff`` with ``next_state`` = its data pin, for
    Yosys ``dfflibmap``), an inverter and a two-input NAND/NOR/AND/OR (so ``abc`` can map
    any logic), and tie-high / tie-low outputs (function ``1`` / ``0``, for ``hilomap``).
    Cells marked ``dont_use`` are skipped.

    Raises
    ------
    LibraryError
        Naming every missing piece and the library file.
    """
    dff = inverter = None
    two_input = False
    tie_hi = tie_lo = None
    for cell in sorted(lib.cells.values(), key=lambda c: (c.area_um2, c.name)):
        if cell.dont_use:
            continue
        ins, outs = cell.inputs, cell.outputs
        if cell.ff is not None:
            if (
                dff is None
                and cell.ff.clear is None
                and cell.ff.preset is None
                and len(ins) == 2
                and cell.ff.next_state in ins
            ):
                dff = cell.name
            continue
        for out in outs:
            pin = cell.pins[out]
            if pin.function is None:
                continue
            if pin.function.op == "const":
                if pin.function.value and tie_hi is None:
                    tie_hi = (cell.name, out)
                if not pin.function.value and tie_lo is None:
                    tie_lo = (cell.name, out)
                continue
            table = _truth(pin.function, ins)
            if table is None:
                continue
            if len(ins) == 1 and table == (True, False) and inverter is None:
                inverter = cell.name
            if len(ins) == 2 and table in (
                (True, True, True, False),
                (True, False, False, False),
                (False, False, False, True),
                (False, True, True, True),
            ):
                two_input = True
    missing = []
    if dff is None:
        missing.append("a D flip-flop without set/reset (ff group, next_state = data pin)")
    if inverter is None:
        missing.append("an inverter")
    if not two_input:
        missing.append("a two-input NAND, NOR, AND or OR")
    if tie_hi is None:
        missing.append("a tie-high cell (output function 1)")
    if tie_lo is None:
        missing.append("a tie-low cell (output function 0)")
    if missing:
        raise LibraryError(
            f"liberty library {lib.name} ({lib.path}) lacks cells the ASIC flow needs: "
            + "; ".join(missing)
        )
    assert dff is not None and inverter is not None and tie_hi and tie_lo
    return FlowCells(dff=dff, inverter=inverter, tie_hi=tie_hi, tie_lo=tie_lo)
