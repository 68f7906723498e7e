"""FPGA timing estimate before place and route (iCE40).

:func:`preroute_timing` maps the design with ``synth_ice40``, reads the netlist back with
the iCE40 cell models *with* their timing (``read_verilog -lib -specify -DICE40_HX
+/ice40/cells_sim.v``, HX speed grade) and runs Yosys' ``sta``: the latest arrival time of
any path, no routing delay. On 27 MAC variants it ranked designs like nextpnr's routed fmax
with Spearman 0.95 (``shared/reference/toolchain.md``); it is a ranking tool, not a
frequency promise. ``SB_MAC16`` has no timing model in Yosys, so paths through DSP blocks
are not timed (use ``dsp=False`` to time a LUT multiplier).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hwgen.costmodel.synth import SynthesisError, run_yosys
from hwgen.errors import HwgenError

__all__ = ["PreRouteTiming", "preroute_timing"]

_ARRIVAL = re.compile(r"Latest arrival time in '[^']*' is (\d+)")
NOTE = (
    "pre-route estimate: Yosys sta with the iCE40 HX cell timing models, no routing delay; "
    "SB_MAC16 paths untimed"
)


@dataclass(frozen=True, slots=True)
class PreRouteTiming:
    """Latest arrival time of any path (ns) and the matching frequency (MHz)."""

    critical_path_ns: float
    fmax_mhz: float
    flow: str
    note: str = NOTE


def preroute_timing(design_dir: Path, top: str, *, dsp: bool) -> PreRouteTiming:
    """The iCE40 pre-route timing estimate of a design.

    Raises
    ------
    SynthesisError
        Yosys failed or reported no timing path.
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", top):
        raise HwgenError(f"top must be a Verilog identifier, not {top!r}")
    synth = f"synth_ice40{' -dsp' if dsp else ''} -top {top}"
    commands = [
        synth,
        "write_verilog -noattr ice40_netlist.v",
        "design -reset",
        "read_verilog -lib -specify -DICE40_HX +/ice40/cells_sim.v",
        "read_verilog ice40_netlist.v",
        f"hierarchy -top {top}",
        "tee -q -o sta.txt sta",
    ]
    run = run_yosys(
        design_dir, commands, outputs=("sta.txt",), label=f"yosys iCE40 pre-route sta of {top}"
    )
    m = _ARRIVAL.search(run.outputs["sta.txt"])
    if m is None or int(m.group(1)) <= 0:
        raise SynthesisError(f"yosys iCE40 pre-route sta of {top} found no timing path")
    ns = int(m.group(1)) / 1000.0
    flow = f"{synth.replace(f' -top {top}', '')}; read_verilog -lib -specify -DICE40_HX; sta"
    return PreRouteTiming(critical_path_ns=ns, fmax_mhz=round(1000.0 / ns, 2), flow=flow)
