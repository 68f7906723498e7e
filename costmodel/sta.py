"""Static timing of a mapped netlist with OpenSTA.

:func:`analyze_timing` loads the library and the netlist of :mod:`hwgen.costmodel.asic`,
defines the clock on the design's clock port and reports the worst setup path.

Assumptions (also in ``docs/cost.md``):

- ideal clock (no clock tree, zero skew and latency), one clock domain, registers are the
  design's own (nothing is added around it);
- every input except the clock arrives 0 ns after the clock edge
  (``set_input_delay 0``), i.e. straight from an upstream register with zero clock-to-Q;
  inputs switch with a 0 ns transition (OpenSTA's default for ports);
- every output is captured at the next clock edge with no setup time
  (``set_output_delay 0``), with no load beyond the wire-load model of the library;
- the library's default wire-load model, if it has one, estimates net capacitance.

``critical_path_ns`` is the period at which the worst path has zero slack: its arrival
time plus the capturing flip-flop's setup time (or the output delay); ``fmax_mhz`` =
1000 / ``critical_path_ns``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hwgen.costmodel.asic import AsicSynthesis
from hwgen.errors import HwgenError
from hwgen.tools.opensta import StaError, run_sta, sta_version

__all__ = ["TimingReport", "analyze_timing", "sta_prelude"]

#: A period long enough that no realistic design has negative slack (only its value
#: matters for slack, which is subtracted out).
_PERIOD_NS = 1000.0
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_START = re.compile(r"^Startpoint:\s*(\S+)\s*\((.*)\)", re.M)
_END = re.compile(r"^Endpoint:\s*(\S+)\s*\((.*)\)", re.M)
_SLACK = re.compile(r"^\s*(-?[0-9.]+)\s+slack\b", re.M)
_ARRIVAL = re.compile(r"^\s*(-?[0-9.]+)\s+data arrival time", re.M)

ASSUMPTIONS = (
    "ideal clock; inputs arrive 0 ns after the clock edge; outputs captured at the next "
    "edge with 0 ns output delay; library wire-load model"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TimingReport:
    """The worst setup path of a mapped design.

    Attributes
    ----------
    critical_path_ns:
        Minimum clock period: arrival of the worst path plus its setup/output delay.
    fmax_mhz:
        ``1000 / critical_path_ns``.
    arrival_ns:
        Data arrival time of the worst path.
    startpoint, endpoint:
        Where the worst path starts and ends (pin or port names as OpenSTA prints them),
        with OpenSTA's description (``input port clocked by clk``, ``rising edge-triggered
        flip-flop clocked by clk``).
    report:
        OpenSTA's full path report.
    tool:
        ``opensta <version>``.
    assumptions:
        The input/output delay assumptions (see the module docstring).
    """

    critical_path_ns: float
    fmax_mhz: float
    arrival_ns: float
    startpoint: str
    endpoint: str
    report: str
    tool: str
    assumptions: str = ASSUMPTIONS


def sta_prelude(synth: AsicSynthesis, clock: str, period_ns: float) -> str:
    """Tcl that loads ``cells.lib`` + ``netlist.v`` and constrains the clock and the ports."""
    if not _IDENT.fullmatch(clock):
        raise HwgenError(f"clock port must be a Verilog identifier, not {clock!r}")
    return "\n".join(
        [
            "read_liberty cells.lib",
            "read_verilog netlist.v",
            f"link_design {synth.top}",
            f"create_clock -name {clock} -period {period_ns:g} [get_ports {clock}]",
            f"set_input_delay 0 -clock {clock} [delete_from_list [all_inputs] [get_ports {clock}]]",
            f"set_output_delay 0 -clock {clock} [all_outputs]",
        ]
    )


def analyze_timing(synth: AsicSynthesis, *, clock: str, library_text: str) -> TimingReport:
    """Time a mapped netlist with OpenSTA (the worst max-delay path).

    Parameters
    ----------
    synth:
        The mapped design (its netlist and library).
    clock:
        Name of the clock port.
    library_text:
        The library as plain Liberty text (what Yosys mapped to).

    Raises
    ------
    StaError
        OpenSTA failed or found no constrained path (a design without registers or ports
        between clocked points).
    """
    script = "\n".join(
        [
            sta_prelude(synth, clock, _PERIOD_NS),
            "report_checks -path_delay max -format full -digits 4 -group_count 1",
        ]
    )
    run = run_sta(
        script,
        inputs={"cells.lib": library_text, "netlist.v": synth.netlist},
        label=f"OpenSTA timing of {synth.top}",
    )
    text = run.stdout
    start, end = _START.search(text), _END.search(text)
    slack, arrival = _SLACK.search(text), _ARRIVAL.search(text)
    if not (start and end and slack and arrival):
        raise StaError(f"OpenSTA timing of {synth.top} failed: no constrained path was reported")
    critical = _PERIOD_NS - float(slack.group(1))
    if not critical > 0:
        raise StaError(f"OpenSTA timing of {synth.top} failed: critical path {critical} ns")
    return TimingReport(
        critical_path_ns=round(critical, 4),
        fmax_mhz=round(1000.0 / critical, 2),
        arrival_ns=float(arrival.group(1)),
        startpoint=f"{start.group(1)} ({start.group(2)})",
        endpoint=f"{end.group(1)} ({end.group(2)})",
        report=text,
        tool=sta_version(),
    )
