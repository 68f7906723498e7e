"""Multi-lane verification harness around an emitted design.

cocotb moves one value per signal per clock, so the harness puts ``lanes`` copies of the
design side by side behind wide buses: one clock then checks ``lanes`` MACs (or ``lanes``
arrays' worth of beats). The harness is an Amaranth component that instantiates the
emitted top module with ``amaranth.hdl.Instance`` -- the design under test stays the
shipped Verilog -- and is converted with the same deterministic flow as the designs
(:func:`hwgen.emit.to_verilog`).

Bus layout: lane ``i`` of a bus built from a port of ``n`` bits occupies bits
``[i*n, (i+1)*n)``. Which roles are per lane, shared or taken from lane 0 is the family
bench's choice (:attr:`hwgen.sim.bench.Bench.lane_roles` and friends). MAC: every port is
per lane (``valid``/``clear`` too, so lanes run independent sequences). Array: data ports
are per lane, the stream controls (``valid``, ``last``, ``out_ready``) are shared and the
handshake outputs (``ready``, ``out_valid``, ``out_row``) come from lane 0 -- the lanes are
identical designs with identical control, so they stay in lockstep; ``lanes_agree`` is
high while every lane's handshake outputs equal lane 0's, and the bench checks it each
clock.

A :class:`Fault` XORs one bit of one lane's port: a negative control showing that the
scoreboard catches a broken datapath.
"""

from __future__ import annotations

from amaranth.hdl import Cat, ClockSignal, Instance, Module, ResetSignal, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen.design.base import PortDir
from hwgen.emit.manifest import Manifest
from hwgen.sim.fault import Fault

__all__ = ["Fault", "LaneHarness", "harness_name", "harness_verilog", "lane_roles"]
from hwgen._validate import check_int
from hwgen.errors import HwgenError


def harness_name(manifest: Manifest) -> str:
    """Verilog module name of the harness for ``manifest``'s top."""
    return f"hwgen_lanes_{manifest.top}"


def lane_roles(manifest: Manifest) -> tuple[str, ...]:
    """Roles that the harness replicates per lane (present in the design), from the bench."""
    from hwgen.design.families import family

    present = {p.role for p in manifest.ports}
    return tuple(str(r) for r in family(manifest.kind).bench().lane_roles if r in present)


def _has_lane0_outputs(manifest: Manifest) -> bool:
    from hwgen.design.families import family

    return bool(family(manifest.kind).bench().lane0_roles)


class LaneHarness(wiring.Component):
    """``lanes`` instances of an emitted design behind concatenated buses.

    Parameters
    ----------
    manifest
        The design's manifest: top module name, ports and roles.
    lanes
        Number of instances (>= 1).
    fault
        Optional bit flip in one lane (negative control).

    Notes
    -----
    Harness ports are named after the design's port *roles* (so benches address them by
    role); Amaranth adds the harness's own ``clk`` and ``rst``, wired to every instance's
    clock and (active-high, synchronous) reset ports named in the manifest.
    """

    def __init__(self, *, manifest: Manifest, lanes: int, fault: Fault | None = None) -> None:
        check_int("lanes", lanes, 1)
        if manifest.reset.polarity != "high" or not manifest.reset.synchronous:
            raise HwgenError(
                f"harness needs a synchronous active-high reset, not {manifest.reset.to_dict()}"
            )
        self._manifest = manifest
        self._lanes = lanes
        self._fault = fault
        per_lane = set(lane_roles(manifest))
        members: dict[str, wiring.Member] = {}
        for p in manifest.ports:
            if p.role in ("clk", "rst") or p.width == 0:
                continue
            width = p.width * lanes if p.role in per_lane else p.width
            members[p.role] = (In if p.dir == PortDir.IN else Out)(width)
        if _has_lane0_outputs(manifest):
            members["lanes_agree"] = Out(1)
        if fault is not None:
            self._check_fault(fault, per_lane)
        super().__init__(members)

    def _check_fault(self, fault: Fault, per_lane: set[str]) -> None:
        if fault.role not in per_lane:
            raise HwgenError(
                f"fault role must be one of {', '.join(sorted(per_lane))}, not {fault.role!r}"
            )
        width = self._manifest.port(fault.role).width
        if not 0 <= fault.bit < width:
            raise HwgenError(f"fault bit must be in 0..{width - 1}, not {fault.bit}")
        if not 0 <= fault.lane < self._lanes:
            raise HwgenError(f"fault lane must be in 0..{self._lanes - 1}, not {fault.lane}")

    def elaborate(self, platform: object) -> Module:
        """Instantiate the design ``lanes`` times and wire the buses."""
        m = Module()
        man = self._manifest
        per_lane = set(lane_roles(man))
        agree = []
        for lane in range(self._lanes):
            kwargs: dict[str, object] = {
                f"i_{man.clock}": ClockSignal(),
                f"i_{man.reset.port}": ResetSignal(),
            }
            for p in man.ports:
                if p.role in ("clk", "rst") or p.width == 0:
                    continue
                bus = getattr(self, p.role)
                flip = 0
                if (
                    self._fault is not None
                    and self._fault.lane == lane
                    and self._fault.role == p.role
                ):
                    flip = 1 << self._fault.bit
                if p.dir == PortDir.IN:
                    src = bus[lane * p.width : (lane + 1) * p.width] if p.role in per_lane else bus
                    kwargs[f"i_{p.name}"] = src ^ flip if flip else src
                    continue
                sig = Signal(p.width, name=f"l{lane}_{p.role}")
                kwargs[f"o_{p.name}"] = sig
                if p.role in per_lane:
                    m.d.comb += bus[lane * p.width : (lane + 1) * p.width].eq(sig ^ flip)
                elif lane == 0:
                    m.d.comb += bus.eq(sig)
                else:
                    agree.append(sig == bus)
            m.submodules[f"lane{lane}"] = Instance(man.top, **kwargs)
        if _has_lane0_outputs(man):
            # One reduction, not a chain of ``&``: a chain nests an operator per lane and
            # hits Python's recursion limit in Amaranth's passes at a few hundred lanes.
            m.d.comb += self.lanes_agree.eq(Cat(*agree).all() if agree else 1)
        return m


def harness_verilog(*, manifest: Manifest, lanes: int, fault: Fault | None = None) -> str:
    """Verilog text of the harness module :func:`harness_name` (design module not included)."""
    from hwgen.emit import to_verilog

    top = harness_name(manifest)
    return to_verilog(
        LaneHarness(manifest=manifest, lanes=lanes, fault=fault),
        top=top,
        banner=f"hwgen verification harness: {lanes} lanes of {manifest.top}",
    )
