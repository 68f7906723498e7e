"""OpenSTA ``report_power`` at the activity hwgen measured on every net: the cross-check.

OpenSTA 2.0.17 (the Debian package) has no ``read_vcd`` / ``read_saif``, and it re-derives
the activity of every cell output from the cell's ``function`` (probabilistic propagation
from the primary inputs), overwriting any activity set on the pin. What it keeps is the
user activity of *root* pins (pins no timing arc reaches). So the check hands OpenSTA the
measurement through roots:

- an *activity library* (:func:`activity_library`): the library with root input pins (no
  capacitance, timing or power) added to every cell. ``HWA_<out>`` carries the activity of
  output ``<out>``: the output's ``function`` becomes ``HWA_<out>`` (a flip-flop's
  ``next_state`` becomes ``HWA_<Q>``; OpenSTA copies it across the register to ``Q``).
  ``HWW_<pin>_<j>`` becomes the ``when`` of internal-power group ``j`` of ``<pin>``: its
  duty is the share of the output's transitions caused by that group's related pin (1 for
  an input pin's own groups). Areas, timing arcs, capacitances, internal-power and leakage
  tables are the library's, unchanged;
- after ``link_design`` each root pin is connected to a net of its own with no driver
  (``make_net`` / ``connect_pin``) and gets its value with ``sta::set_power_pin_activity``
  (transitions per clock period, duty); the input ports get theirs with
  ``set_power_activity -input_ports``.

OpenSTA then propagates exactly the measured activity into every output and over the
wires into every input pin, and prices it with its own table lookups, slews and loads:
internal power of a group = ``duty(when) x (E_rise + E_fall) x transitions per second``,
switching ``C V^2 / 2`` per transition (``C`` with the pins' ``rise_capacitance`` and the
wire-load estimate), leakage ``cell_leakage_power``. What the comparison checks is the
pricing, internal, switching and leakage separately, not the activity (which is shared).

Why without the weights it would not compare: OpenSTA 2.0.17 weights an arc with no
``when`` by ``activity(in) / activity(out) x P(in controls out)`` (a probabilistic
attribution) where it can infer the sensitising condition from the function, with 0.5 where
it cannot (complex gates: every arc then costs half of each output transition, n/2 x too
much for an n-input AOI), and with 1 for arcs from a clock. hwgen charges each simulated
output transition to the input that switched at that instant; the ``when`` weights give
OpenSTA the same attribution.

The one factor left (:data:`OPENSTA_2019_INTERNAL_FACTOR`): OpenSTA 2.0.17 multiplies the
rate of *transitions* by the *sum* of the rise and fall tables, where each table is the
energy of one transition of its direction (rises and falls alternate, so a transition
costs their mean). Later OpenSTA releases divide by two ("average rise/fall internal
power"); so does this check. With it, internal power agrees per cell type within a few
per cent (the residue: OpenSTA looks up each direction at its own slew, hwgen at the mean
of the slowest arc's rise and fall slews).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from hwgen.costmodel.asic import AsicSynthesis
from hwgen.costmodel.liberty.parse import Attribute, ComplexAttribute, Group, parse, write
from hwgen.costmodel.netlist import Netlist
from hwgen.costmodel.sta import sta_prelude
from hwgen.errors import HwgenError
from hwgen.tools.opensta import run_sta

__all__ = [
    "ACT_PREFIX",
    "OPENSTA_2019_INTERNAL_FACTOR",
    "WEIGHT_PREFIX",
    "ActivityLibrary",
    "StaPower",
    "activity_library",
    "sta_power",
    "weight_pin",
]

ACT_PREFIX = "HWA_"
"""Prefix of the activity root pins added for every cell output."""
WEIGHT_PREFIX = "HWW_"
"""Prefix of the weight root pins added for every internal-power group."""
OPENSTA_2019_INTERNAL_FACTOR = 0.5
"""OpenSTA 2.0.17 sums the rise and fall internal energies of a transition; the mean is 1/2."""
_INSTANCE_ROW = re.compile(r"^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$")
_CONSTANT = re.compile(r"^[\s()!01]*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class StaPower:
    """OpenSTA's power at the measured activity (mW), split, and per instance (W).

    ``internal_mw`` is corrected by :data:`OPENSTA_2019_INTERNAL_FACTOR`;
    ``internal_raw_mw`` is what OpenSTA printed.
    """

    internal_mw: float
    internal_raw_mw: float
    switching_mw: float
    leakage_mw: float
    instances: Mapping[str, tuple[float, float, float]]

    @property
    def total_mw(self) -> float:
        """Internal + switching + leakage."""
        return self.internal_mw + self.switching_mw + self.leakage_mw


def _replace_attr(group: Group, name: str, value: str) -> Group:
    """``group`` with simple attribute ``name`` set to ``value`` (added if absent)."""
    items = [i for i in group.items if not (isinstance(i, Attribute) and i.name == name)]
    return Group(group.kind, group.args, [Attribute(name, value), *items])


def _root_pin(name: str) -> Group:
    """An input pin with no capacitance, timing or power: a root for OpenSTA's activities."""
    return Group(
        "pin", (f'"{name}"',), [Attribute("direction", "input"), Attribute("capacitance", "0.0")]
    )


def weight_pin(pin: str, j: int) -> str:
    """Name of the root pin whose duty weights internal-power group ``j`` of ``pin``."""
    return f"{WEIGHT_PREFIX}{pin}_{j}"


def _with_activity_pins(cell: Group, act_pins: dict[str, str]) -> Group:
    """The cell with root pins for the output activities and the arc weights.

    ``act_pins`` receives activity root pin -> the output pin whose activity it carries.
    """
    seq_vars = {v.strip('"') for s in cell.groups() if s.kind in ("ff", "latch") for v in s.args}
    shown: dict[str, str] = {}  # state variable -> the output pin that shows it
    for g in cell.groups("pin"):
        fn = g.attr("function")
        if g.attr("direction") == "output" and fn is not None and fn.strip("() ") in seq_vars:
            shown.setdefault(fn.strip("() "), g.name)
    items: list[Attribute | ComplexAttribute | Group] = []
    for item in cell.items:
        if isinstance(item, Group) and item.kind == "pin":
            body: list[Attribute | ComplexAttribute | Group] = []
            j = 0
            for sub in item.items:
                if isinstance(sub, Group) and sub.kind == "internal_power":
                    items.append(_root_pin(weight_pin(item.name, j)))
                    sub = _replace_attr(sub, "when", f'"{weight_pin(item.name, j)}"')
                    j += 1
                body.append(sub)
            pin = Group(item.kind, item.args, body)
            fn = pin.attr("function")
            if (
                pin.attr("direction") == "output"
                and fn is not None
                and not _CONSTANT.match(fn)
                and fn.strip("() ") not in seq_vars
            ):
                items.append(_root_pin(ACT_PREFIX + pin.name))
                act_pins[ACT_PREFIX + pin.name] = pin.name
                pin = _replace_attr(pin, "function", f'"{ACT_PREFIX}{pin.name}"')
            items.append(pin)
        elif isinstance(item, Group) and item.kind in ("ff", "latch"):
            q = shown.get(item.args[0].strip('"'))
            if q is None:
                items.append(item)
                continue
            items.append(_root_pin(ACT_PREFIX + q))
            act_pins[ACT_PREFIX + q] = q
            attr = "next_state" if item.kind == "ff" else "data_in"
            items.append(_replace_attr(item, attr, f'"{ACT_PREFIX}{q}"'))
        else:
            items.append(item)
    return Group(cell.kind, cell.args, items)


@dataclass(frozen=True, slots=True)
class ActivityLibrary:
    """The library text with root pins, and cell -> activity root pin -> output pin."""

    text: str
    act_pins: Mapping[str, Mapping[str, str]]


def activity_library(text: str) -> ActivityLibrary:
    """The library with activity and weight root pins (module docstring); numbers unchanged."""
    root = parse(text)
    items: list[Attribute | ComplexAttribute | Group] = []
    act_pins: dict[str, dict[str, str]] = {}
    for i in root.items:
        if isinstance(i, Group) and i.kind == "cell":
            act_pins[i.name] = {}
            i = _with_activity_pins(i, act_pins[i.name])
        items.append(i)
    return ActivityLibrary(write(Group(root.kind, root.args, items)), act_pins)


def _instance_powers(text: str) -> dict[str, tuple[float, float, float]]:
    """``report_power -instances`` rows: name -> (internal, switching, leakage) in W."""
    rows: dict[str, tuple[float, float, float]] = {}
    for line in text.splitlines():
        m = _INSTANCE_ROW.match(line)
        if m is None:
            continue
        try:
            internal, switching, leakage, _total = (float(m.group(i)) for i in range(1, 5))
        except ValueError:
            continue
        rows[m.group(5)] = (internal, switching, leakage)
    return rows


def _tcl_name(name: str) -> str:
    if not re.fullmatch(r"[\w$./\[\]]+", name):
        raise HwgenError(f"OpenSTA power check: net or instance name {name!r} is not supported")
    return "{" + name + "}"


def sta_power(
    synth: AsicSynthesis,
    net: Netlist,
    *,
    toggles: Mapping[str, int],
    duty: Mapping[str, float],
    weights: Mapping[tuple[str, str], Mapping[str, float]],
    cycles: int,
    clock: str,
    clock_mhz: float,
) -> StaPower:
    """OpenSTA's ``report_power`` of ``synth`` with every net at its measured activity.

    Parameters
    ----------
    synth, net:
        The mapped design and its parsed netlist.
    toggles, duty:
        Net -> transitions during the simulated window and fraction of time at 1.
    weights:
        (instance, output pin) -> related pin -> fraction of the output's transitions
        charged to that arc (:func:`hwgen.costmodel.energy.arc_weights`).
    cycles:
        Clock cycles in the window (activity = toggles / cycles per clock period).
    clock, clock_mhz:
        The clock port and frequency.

    Raises
    ------
    HwgenError
        OpenSTA did not list every instance.
    StaError
        OpenSTA failed (its error line).
    """
    lib = synth.library
    alib = activity_library(_library_text(synth))
    cycles = max(cycles, 1)
    lines = [sta_prelude(synth, clock, 1000.0 / clock_mhz)]
    roots: list[tuple[str, float, float]] = []  # pin, activity per period, duty
    for inst in net.instances:
        cell = lib.cells[inst.cell]
        for root_pin, out in alib.act_pins[inst.cell].items():
            n = net.net(inst.pins[out]) if out in inst.pins else ""
            act = toggles.get(n, 0) / cycles
            roots.append((f"{inst.name}/{root_pin}", act, _duty(duty, n)))
        for name, pin in cell.pins.items():
            w = weights.get((inst.name, name), {})
            per_related: dict[str | None, int] = {}
            for g in pin.internal_power:
                per_related[g.related_pin] = per_related.get(g.related_pin, 0) + 1
            for j, g in enumerate(pin.internal_power):
                if g.related_pin is None:
                    d = 1.0  # an input pin's own transitions, priced in full
                else:
                    d = w.get(g.related_pin, 0.0) / per_related[g.related_pin]
                roots.append((f"{inst.name}/{weight_pin(name, j)}", 0.0, d))
    for k, (root_name, act, d) in enumerate(roots):
        p = _tcl_name(root_name)
        lines.append(f"make_net hwgen_root_{k}")
        lines.append(f"connect_pin hwgen_root_{k} {p}")
        lines.append(f"sta::set_power_pin_activity [get_pins {p}] {act:.9g} {d:.9g}")
    for port, (direction, width) in sorted(net.ports.items()):
        if direction != "input" or port == clock:
            continue
        for i in range(width):
            bit = port if width == 1 else f"{port}[{i}]"
            n = net.net(bit)
            lines.append(
                f"set_power_activity -input_ports [get_ports {_tcl_name(bit)}] "
                f"-activity {toggles.get(n, 0) / cycles:.9g} -duty {_duty(duty, n):.9g}"
            )
    lines.append("report_power -instances [get_cells *] -digits 10")
    run = run_sta(
        "\n".join(lines),
        inputs={"cells.lib": alib.text, "netlist.v": synth.netlist},
        label=f"OpenSTA power of {synth.top}",
    )
    rows = _instance_powers(run.stdout)
    missing = [i.name for i in net.instances if i.name not in rows]
    if missing:
        raise HwgenError(
            f"OpenSTA power of {synth.top}: report_power did not list {len(missing)} of "
            f"{len(net.instances)} instances (first: {missing[0]})"
        )
    internal = sum(rows[i.name][0] for i in net.instances)
    switching = sum(rows[i.name][1] for i in net.instances)
    leakage = sum(rows[i.name][2] for i in net.instances)
    return StaPower(
        internal_mw=internal * OPENSTA_2019_INTERNAL_FACTOR * 1e3,
        internal_raw_mw=internal * 1e3,
        switching_mw=switching * 1e3,
        leakage_mw=leakage * 1e3,
        instances={i.name: rows[i.name] for i in net.instances},
    )


def _duty(duty: Mapping[str, float], net: str) -> float:
    return min(max(duty.get(net, 0.0), 0.0), 1.0)


def _library_text(synth: AsicSynthesis) -> str:
    from hwgen.costmodel.asic import library_text

    return library_text(synth.library)
