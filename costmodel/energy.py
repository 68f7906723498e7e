"""Energy per MAC from switching activity on real operand streams.

Flow (``docs/cost.md``):

1. The design mapped to a cell library (:mod:`hwgen.costmodel.asic`) is simulated at gate
   level on Verilator -- netlist plus Verilog models of the library's cells (hwgen's own
   for its embedded library; the user's for another library) -- inside the verification
   lane harness (:mod:`hwgen.sim.harness`), driven by an operand stream
   (:mod:`hwgen.costmodel.activity`): one MAC per clock (``valid`` high), a new dot
   product (``clear``) every :data:`DOT_LENGTH` MACs. The waveform records every net.
2. Per net: its transitions (zero-delay simulation: functional transitions, no glitches)
   and its duty (fraction of time at 1), over the stream only (reset excluded).
3. Pricing with the library (the convention OpenSTA uses, so the two can be compared):

   - internal energy: each output transition costs the cell's ``internal_power`` energy
     of the arc from the input that switched at the same instant (the mean over the
     arcs of all inputs that switched), looked up at that input's transition time and
     the output's load, averaged over the rise and fall tables; each input-pin
     transition costs the pin's own internal energy (clock pins: every clock edge);
   - switching energy: ``C V^2 / 2`` per transition of every net a cell drives, ``C`` =
     the fanout pins' capacitance plus the library's wire-load estimate. Nets driven by
     the design's inputs (operands, clock) are charged to whatever drives them and are
     not counted; there is no clock tree (ideal clock), so clock-tree energy is excluded;
   - leakage: each cell's ``cell_leakage_power`` for one clock period at the stated
     clock.

   Transition times come from the library's transition tables, propagated from the
   inputs (0 ns) through the netlist at the same loads.
4. Cross-check: OpenSTA's ``report_power`` of the same netlist given the measured activity
   of every net and the measured share of each arc (:func:`opensta_power`,
   :mod:`hwgen.costmodel.sta_power`), internal, switching and leakage separately.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwgen.costmodel.activity import ActivitySpec, operand_streams
from hwgen.costmodel.asic import AsicSynthesis
from hwgen.costmodel.liberty.library import Cell, Library
from hwgen.costmodel.netlist import Netlist, parse_netlist
from hwgen.costmodel.sta_power import StaPower, sta_power
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError
from hwgen.tools.scratch import scratch_dir

__all__ = [
    "DOT_LENGTH",
    "EnergyResult",
    "NetActivity",
    "check_drivable",
    "opensta_power",
    "price_activity",
    "simulate_activity",
]

DOT_LENGTH = 256
"""MACs per dot product in the energy stream (``clear`` starts each one)."""
DRIVEN_ROLES = ("a", "w", "valid", "clear")
CONVENTION = (
    "zero-delay gate-level toggles; internal energy per transition from the library tables "
    "(mean of rise/fall), switching C*V^2/2 per transition of cell-driven nets (wire-load "
    "estimate included), leakage at the stated clock; primary-input nets and clock tree "
    "excluded; one MAC per clock"
)
_PERIOD_PS = 10_000  # the bench's 10 ns clock in the VCD's 1 ps timescale
_RESET_CYCLES = 2


@dataclass(frozen=True, slots=True)
class NetActivity:
    """Switching activity of the nets of one simulation.

    Attributes
    ----------
    times:
        Net -> sorted times (ps) of its transitions during the stream.
    duty:
        Net -> fraction of the stream's time it was 1.
    cycles:
        Clock cycles in the stream (= MACs).
    """

    times: Mapping[str, np.ndarray]
    duty: Mapping[str, float]
    cycles: int

    def toggles(self, net: str) -> int:
        """Transitions of ``net`` (0 for a net that never changed)."""
        t = self.times.get(net)
        return 0 if t is None else len(t)


@dataclass(frozen=True, slots=True, kw_only=True)
class EnergyResult:
    """Energy per MAC and its split (pJ), power at the stated clock (mW)."""

    energy_pj_per_mac: float
    internal_pj_per_mac: float
    switching_pj_per_mac: float
    leakage_pj_per_mac: float
    power_mw: float
    clock_mhz: float
    cycles_per_mac: float
    macs: int
    opensta_power_mw: float | None
    convention: str = CONVENTION


def check_drivable(manifest: Manifest) -> None:
    """Refuse designs whose inputs the energy stream cannot drive (one clear line).

    Supported: designs whose inputs are the clock, the reset and the MAC roles ``a``, ``w``,
    ``valid``, ``clear`` (docs/hardware.md), whatever their family.
    """
    inputs = {p.role for p in manifest.ports if p.dir == "in"}
    extra = sorted(inputs - {"clk", "rst", *DRIVEN_ROLES})
    missing = sorted(set(DRIVEN_ROLES) - inputs)
    if extra or missing:
        what = f"input roles {', '.join(extra)}" if extra else f"no {', '.join(missing)}"
        raise HwgenError(
            f"energy simulation drives MAC-style designs (input roles a, w, valid, clear); "
            f"design {manifest.top} (kind {manifest.kind}) has {what}"
        )
    if manifest.reset.polarity != "high" or not manifest.reset.synchronous:
        raise HwgenError("energy simulation needs a synchronous active-high reset")


def _streams(manifest: Manifest, spec: ActivitySpec, macs: int, seed: int) -> dict[str, np.ndarray]:
    a, w = operand_streams(
        spec, a_format=manifest.a_format, w_format=manifest.w_format, n=macs, seed=seed
    )
    t = np.arange(macs)
    return {
        "a": a,
        "w": w,
        "valid": np.ones(macs, dtype=np.int64),
        "clear": (t % DOT_LENGTH == 0).astype(np.int64),
    }


def simulate_activity(
    *,
    manifest: Manifest,
    synth: AsicSynthesis,
    cell_models: Path,
    spec: ActivitySpec,
    macs: int,
    seed: int,
    build_root: Path,
) -> NetActivity:
    """Simulate the mapped netlist on the operand stream and measure every net's activity.

    Raises
    ------
    HwgenError
        The design's inputs cannot be driven (:func:`check_drivable`).
    SimulationError
        Verilator failed to build or run (the message names the log).
    """
    from hwgen.sim import runner

    check_drivable(manifest)
    streams = _streams(manifest, spec, macs, seed)
    with scratch_dir("energy") as work:
        ddir = Path(work) / "design"
        ddir.mkdir()
        (ddir / "netlist.v").write_text(synth.netlist, encoding="utf-8")
        shutil.copyfile(cell_models, ddir / "cells.v")
        # Cell internals are not nets of the design: keep them out of the waveform.
        (ddir / "cells.vlt").write_text(
            '`verilator_config\ntracing_off -file "*cells.v"\nlint_off -file "*cells.v"\n',
            encoding="utf-8",
        )
        d = manifest.to_dict()
        d.update(verilog=["netlist.v", "cells.v"], waivers=["cells.vlt"], filelist="files.f")
        (ddir / "files.f").write_text("netlist.v\ncells.v\n", encoding="utf-8")
        (ddir / "manifest.json").write_text(json.dumps(d, indent=2) + "\n", encoding="utf-8")
        _trim_builds(build_root)
        build = runner.build(
            ddir, sim=runner.Simulator.VERILATOR, lanes=1, build_root=build_root, waves=True
        )
        stream_file = Path(work) / "stream.npz"
        np.savez(
            stream_file,
            a=streams["a"],
            w=streams["w"],
            valid=streams["valid"],
            clear=streams["clear"],
        )
        wave = runner.run(
            build,
            test_module="hwgen.costmodel.energy_tb",
            run_dir=Path(work) / "run",
            env={"HWGEN_ENERGY_STREAM": str(stream_file)},
        )
        if wave is None or not wave.is_file():
            raise HwgenError("energy simulation wrote no waveform")
        start = (_RESET_CYCLES * _PERIOD_PS) + _PERIOD_PS // 2
        import os

        if os.environ.get("HWGEN_KEEP_VCD"):
            shutil.copyfile(wave, os.environ["HWGEN_KEEP_VCD"])
        return _read_vcd(wave, scope="lane0", start=start, end=start + macs * _PERIOD_PS)


MAX_BUILDS = 16
"""Verilator models kept in the energy build cache (least recently built go first)."""


def _trim_builds(root: Path) -> None:
    """Keep the energy build cache bounded (the Verilator runtime objects stay)."""
    if not root.is_dir():
        return
    builds = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    builds.sort(key=lambda p: p.stat().st_mtime_ns)
    for old in builds[: max(0, len(builds) - MAX_BUILDS + 1)]:
        shutil.rmtree(old, ignore_errors=True)


def _read_vcd(path: Path, *, scope: str, start: int, end: int) -> NetActivity:
    """Transition times and duties of the signals directly inside scope ``scope``."""
    codes: dict[str, list[str]] = {}
    stack: list[str] = []
    with open(path, encoding="ascii", errors="replace") as fh:
        for line in fh:
            tok = line.split()
            if not tok:
                continue
            if tok[0] == "$scope":
                stack.append(tok[2])
            elif tok[0] == "$upscope":
                stack.pop()
            elif tok[0] == "$var" and stack and stack[-1] == scope:
                width, code, name = int(tok[2]), tok[3], tok[4]
                if width == 1:
                    names = [name]
                else:
                    m = re.match(r"\[(\d+):(\d+)\]", tok[5]) if len(tok) > 5 else None
                    hi, lo = (int(m.group(1)), int(m.group(2))) if m else (width - 1, 0)
                    step = -1 if hi >= lo else 1
                    names = [f"{name}[{i}]" for i in range(hi, lo + step, step)]
                codes.setdefault(code, []).extend(names)
            elif tok[0] == "$enddefinitions":
                break
        changes: dict[str, list[tuple[int, str]]] = defaultdict(list)
        now = 0
        for line in fh:
            c = line[:1]
            if c == "#":
                now = int(line[1:])
            elif c in "01xz":
                code = line[1:].strip()
                if code in codes:
                    changes[code].append((now, c))
            elif c == "b":
                value, code = line[1:].split()
                if code in codes:
                    changes[code].append((now, value))
    times: dict[str, np.ndarray] = {}
    duty: dict[str, float] = {}
    span = end - start
    for code, names in codes.items():
        events = changes.get(code, [])
        width = len(names)
        for bit, name in enumerate(names):
            # Value of this bit over time: names[0] is the MSB of a vector.
            series = []
            for t, v in events:
                v = v.rjust(width, v[0] if v[0] in "xz" else "0")
                series.append((t, v[bit] == "1"))
            t_arr = np.array([t for t, _ in series], dtype=np.int64)
            v_arr = np.array([b for _, b in series], dtype=bool)
            # Keep real transitions only (a vector change may leave this bit alone).
            if len(v_arr):
                keep = np.concatenate(([True], v_arr[1:] != v_arr[:-1]))
                t_arr, v_arr = t_arr[keep], v_arr[keep]
            before = t_arr <= start
            level = bool(v_arr[before][-1]) if before.any() else False
            inside = (t_arr > start) & (t_arr <= end)
            t_in, v_in = t_arr[inside], v_arr[inside]
            edges = np.concatenate(([start], t_in, [end]))
            levels = np.concatenate(([level], v_in))
            high = float(np.sum(np.diff(edges)[levels])) if span > 0 else 0.0
            times[name] = t_in
            duty[name] = high / span if span > 0 else 0.0
    return NetActivity(times=times, duty=duty, cycles=span // _PERIOD_PS)


@dataclass(frozen=True, slots=True)
class _Loads:
    cap: dict[str, float]
    slew: dict[str, float]
    fanout: dict[str, list[tuple[int, str]]]
    driver: dict[str, tuple[int, str]]


def _loads(net: Netlist, lib: Library) -> _Loads:
    """Net capacitance (pins + wire load) and transition time (propagated), per net."""
    fanout: dict[str, list[tuple[int, str]]] = defaultdict(list)
    driver: dict[str, tuple[int, str]] = {}
    for i, inst in enumerate(net.instances):
        cell = lib.cells[inst.cell]
        for pin, n in inst.pins.items():
            n = net.net(n)
            if cell.pins[pin].direction == "output":
                driver[n] = (i, pin)
            else:
                fanout[n].append((i, pin))
    # Output ports are loads too (the next block's input): they count as fanout for the
    # wire-load estimate, with no pin capacitance of their own (as OpenSTA counts them).
    port_loads: dict[str, int] = defaultdict(int)
    for port, (direction, width) in net.ports.items():
        if direction == "output":
            for b in range(width):
                port_loads[net.net(port if width == 1 else f"{port}[{b}]")] += 1
    cap: dict[str, float] = {}
    for n in set(fanout) | set(driver):
        loads = fanout.get(n, [])
        c = sum(lib.cells[net.instances[i].cell].pins[p].rise_cap_pf for i, p in loads)
        if lib.wire_load is not None:
            c += lib.wire_load.cap_pf(len(loads) + port_loads.get(n, 0))
        cap[n] = c
    # Transition times: sequential outputs from a 0 ns clock, then combinational cells in
    # topological order (Kahn), each output taking the slowest arc.
    slew: dict[str, float] = defaultdict(float)
    indeg: dict[int, int] = {}
    for i, inst in enumerate(net.instances):
        cell = lib.cells[inst.cell]
        if cell.sequential:
            continue
        indeg[i] = sum(
            1
            for p in cell.inputs
            if net.net(inst.pins.get(p, "")) in driver
            and not lib.cells[net.instances[driver[net.net(inst.pins[p])][0]].cell].sequential
        )
    ready = [i for i, d in indeg.items() if d == 0]
    order: list[int] = []
    while ready:
        i = ready.pop()
        order.append(i)
        inst = net.instances[i]
        for pin in lib.cells[inst.cell].outputs:
            for j, _ in fanout.get(net.net(inst.pins.get(pin, "")), []):
                if j in indeg:
                    indeg[j] -= 1
                    if indeg[j] == 0:
                        ready.append(j)
    seq = [i for i, inst in enumerate(net.instances) if lib.cells[inst.cell].sequential]
    for i in [*seq, *order]:
        inst = net.instances[i]
        cell = lib.cells[inst.cell]
        for pin in cell.outputs:
            out = net.net(inst.pins.get(pin, ""))
            worst = 0.0
            for arc in cell.pins[pin].timing:
                src = net.net(inst.pins.get(arc.related_pin, ""))
                s_in = (
                    0.0
                    if cell.pins.get(arc.related_pin, None) and cell.pins[arc.related_pin].clock
                    else slew[src]
                )
                vals = [
                    t.lookup(slew=s_in, load=cap.get(out, 0.0))
                    for t in (arc.rise_transition, arc.fall_transition)
                    if t is not None
                ]
                if vals:
                    worst = max(worst, sum(vals) / len(vals))
            slew[out] = worst
    return _Loads(cap=cap, slew=dict(slew), fanout=dict(fanout), driver=driver)


def _mean_energy(groups, *, slew: float, load: float) -> float:
    vals = []
    for g in groups:
        tables = [t for t in (g.rise, g.fall) if t is not None]
        if tables:
            vals.append(sum(t.lookup(slew=slew, load=load) for t in tables) / len(tables))
    return sum(vals) / len(vals) if vals else 0.0


def instance_energies(
    net: Netlist, lib: Library, act: NetActivity
) -> dict[str, tuple[float, float, float]]:
    """Energy of each instance over the simulated window and its leakage.

    Returns
    -------
    dict
        Instance name -> (internal pJ, switching pJ of the nets it drives, leakage nW).
    """
    loads = _loads(net, lib)
    v = lib.voltage_v
    out: dict[str, tuple[float, float, float]] = {}
    for inst in net.instances:
        cell: Cell = lib.cells[inst.cell]
        internal = 0.0
        switching = 0.0
        for pin_name, pin in cell.pins.items():
            n = net.net(inst.pins.get(pin_name, ""))
            if pin.direction == "output":
                if pin_name in inst.pins:
                    switching += (
                        0.5 * loads.cap.get(n, 0.0) * lib.cap_unit_pf * v * v * act.toggles(n)
                    )
                internal += _output_internal(inst, cell, pin, n, net, loads, act)
            else:
                groups = [g for g in pin.internal_power if g.related_pin is None]
                if not groups:
                    continue
                toggles = 2 * act.cycles if pin.clock else act.toggles(n)
                internal += toggles * _mean_energy(groups, slew=loads.slew.get(n, 0.0), load=0.0)
        if cell.leakage_nw is not None:
            leak = cell.leakage_nw
        elif cell.leakage_states:
            leak = float(np.mean([val for _, val in cell.leakage_states]))
        else:
            leak = 0.0
        out[inst.name] = (internal * lib.energy_unit_pj, switching, leak)
    return out


def arc_weights(inst, cell: Cell, pin, n: str, net: Netlist, act: NetActivity) -> dict[str, float]:
    """Fraction of an output's transitions charged to each related pin's arc.

    Each transition goes to the inputs that switched at the same instant (in equal parts;
    a flip-flop's clock pin at every transition); one with no simultaneous input event
    (impossible in a zero-delay simulation) goes to all arcs in equal parts. The fractions
    sum to 1 (empty for an output that never switched or has no arcs).
    """
    t_out = act.times.get(n)
    if t_out is None or not len(t_out):
        return {}
    related = list(dict.fromkeys(g.related_pin or "" for g in pin.internal_power))
    related = [r for r in related if r in inst.pins]
    if not related:
        return {}
    hits = np.zeros((len(related), len(t_out)), dtype=bool)
    for k, r in enumerate(related):
        t_in = act.times.get(net.net(inst.pins[r]))
        if cell.pins[r].clock:
            hits[k] = True  # a flip-flop output changes on the clock edge
        elif t_in is not None and len(t_in):
            hits[k] = np.isin(t_out, t_in)
    count = hits.sum(axis=0)
    weights = np.where(count > 0, hits / np.maximum(count, 1), 1.0 / len(related))
    return {r: float(weights[k].sum()) / len(t_out) for k, r in enumerate(related)}


def _output_internal(inst, cell: Cell, pin, n: str, net: Netlist, loads: _Loads, act) -> float:
    """Internal energy (library units) of the transitions of one output pin."""
    weights = arc_weights(inst, cell, pin, n, net, act)
    if not weights:
        return 0.0
    by_related: dict[str, list] = defaultdict(list)
    for g in pin.internal_power:
        by_related[g.related_pin or ""].append(g)
    load = loads.cap.get(n, 0.0)
    total = 0.0
    for r, w in weights.items():
        slew = loads.slew.get(net.net(inst.pins[r]), 0.0)
        total += w * _mean_energy(by_related[r], slew=slew, load=load)
    return total * act.toggles(n)


def price_activity(
    net: Netlist, lib: Library, act: NetActivity, *, clock_mhz: float
) -> dict[str, float]:
    """Energy of the simulated window, split (pJ), and leakage power (nW).

    Returns
    -------
    dict
        ``internal_pj``, ``switching_pj`` (whole window), ``leakage_nw`` (total static power).
    """
    per = instance_energies(net, lib, act).values()
    return {
        "internal_pj": sum(e[0] for e in per),
        "switching_pj": sum(e[1] for e in per),
        "leakage_nw": sum(e[2] for e in per),
    }


def energy_result(
    priced: Mapping[str, float], *, macs: int, clock_mhz: float, opensta_power_mw: float | None
) -> EnergyResult:
    """Per-MAC energies (one MAC per clock) and the power at ``clock_mhz``."""
    if not clock_mhz > 0:
        raise HwgenError(f"clock must be > 0 MHz, not {clock_mhz:g}")
    internal = priced["internal_pj"] / macs
    switching = priced["switching_pj"] / macs
    leakage = priced["leakage_nw"] * 1e-9 / (clock_mhz * 1e6) * 1e12  # W * s -> pJ
    total = internal + switching + leakage
    return EnergyResult(
        energy_pj_per_mac=round(total, 6),
        internal_pj_per_mac=round(internal, 6),
        switching_pj_per_mac=round(switching, 6),
        leakage_pj_per_mac=round(leakage, 9),
        power_mw=round(total * clock_mhz * 1e-3, 6),
        clock_mhz=clock_mhz,
        cycles_per_mac=1.0,
        macs=macs,
        opensta_power_mw=opensta_power_mw,
    )


def opensta_power(
    synth: AsicSynthesis, net: Netlist, act: NetActivity, *, clock: str, clock_mhz: float
) -> StaPower:
    """OpenSTA's power of the netlist at the measured activity of every net: the check.

    OpenSTA gets each net's transitions per clock and duty, and each arc's share of its
    output's transitions (:func:`arc_weights`), through root pins it cannot overwrite
    (:mod:`hwgen.costmodel.sta_power`); it prices them with its own lookups, slews and
    loads. Internal, switching and leakage power are compared separately.
    """
    lib = synth.library
    weights: dict[tuple[str, str], dict[str, float]] = {}
    for inst in net.instances:
        cell = lib.cells[inst.cell]
        for p in cell.outputs:
            if p in inst.pins:
                n = net.net(inst.pins[p])
                weights[(inst.name, p)] = arc_weights(inst, cell, cell.pins[p], n, net, act)
    toggles = {n: len(t) for n, t in act.times.items()}
    return sta_power(
        synth,
        net,
        toggles=toggles,
        duty=act.duty,
        weights=weights,
        cycles=act.cycles,
        clock=clock,
        clock_mhz=clock_mhz,
    )


def netlist_of(synth: AsicSynthesis) -> Netlist:
    """The parsed netlist of a mapped design."""
    return parse_netlist(synth.netlist)
