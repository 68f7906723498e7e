"""FPGA timing estimate before place and route (iCE40).

:func:`preroute_timing` maps the design with ``synth_ice40``, reads the netlist back with
the iCE40 cell models *with* their timing (``read_verilog -lib -specify -DICE40_HX
+/ice40/cells_sim.v``, HX speed grade) and runs Yosys' ``sta``: the latest arrival time of
any path, no routing delay. On 27 MAC variants it ranked designs like nextpnr's routed fmax
with Spearman 0.95 (``shared/reference/toolchain.md``); it is a ranking tool, not a
frequency promise. ``SB_MAC16`` has no timing model in Yosys, so paths through DSP blocks
are not timed (use ``dsp=False`` to time a LUT multiplier).

:func:`synthesize_ice40` does the resource count of
:func:`hwgen.costmodel.synth.synthesize` and this estimate in one Yosys run (one
``synth_ice40`` instead of two: the cost flow's iCE40 target spends most of its time there).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from hwgen.costmodel.synth import (
    _STAT_FILE,
    SynthesisError,
    SynthResult,
    SynthTarget,
    _result,
    run_yosys,
    yosys_command,
)
from hwgen.errors import HwgenError

__all__ = ["PreRouteTiming", "preroute_timing", "synthesize_ice40"]

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


def _sta_commands(top: str) -> list[str]:
    """After ``synth_ice40``: write the netlist, read it back with the timed cell models, sta."""
    return [
        "write_verilog -noattr ice40_netlist.v",
        "design -reset",
        "read_verilog -lib -specify -DICE40_HX +/ice40/cells_sim.v",
        "read_verilog ice40_netlist.v",
        f"hierarchy -top {top}",
        "tee -q -o sta.txt sta",
    ]


def _timing(sta_text: str, synth: str, top: str) -> PreRouteTiming:
    m = _ARRIVAL.search(sta_text)
    if m is None or int(m.group(1)) <= 0:
        raise SynthesisError(f"yosys iCE40 pre-route sta of {top} found no timing path")
    ns = int(m.group(1)) / 1000.0
    flow = f"{synth.replace(f' -top {top}', '')}; read_verilog -lib -specify -DICE40_HX; sta"
    return PreRouteTiming(critical_path_ns=ns, fmax_mhz=round(1000.0 / ns, 2), flow=flow)


def _check_top(top: str) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", top):
        raise HwgenError(f"top must be a Verilog identifier, not {top!r}")


def preroute_timing(design_dir: Path, top: str, *, dsp: bool) -> PreRouteTiming:
    """The iCE40 pre-route timing estimate of a design.

    Raises
    ------
    SynthesisError
        Yosys failed or reported no timing path.
    """
    _check_top(top)
    synth = f"synth_ice40{' -dsp' if dsp else ''} -top {top}"
    run = run_yosys(
        design_dir,
        [synth, *_sta_commands(top)],
        outputs=("sta.txt",),
        label=f"yosys iCE40 pre-route sta of {top}",
    )
    return _timing(run.outputs["sta.txt"], synth, top)


def synthesize_ice40(
    design_dir: Path, top: str, *, dsp: bool
) -> tuple[SynthResult, PreRouteTiming]:
    """iCE40 resources and pre-route timing of a design from one ``synth_ice40`` run.

    The same numbers as ``synthesize(design_dir, top, SynthTarget.ICE40, dsp=dsp)`` and
    :func:`preroute_timing` (the statistics are taken right after ``synth_ice40``, before
    the netlist is read back for ``sta``), in about half the time.

    Raises
    ------
    SynthesisError
        Yosys failed, wrote no usable statistics or reported no timing path.
    """
    _check_top(top)
    flow = yosys_command(SynthTarget.ICE40, top, dsp=dsp)
    commands = [*flow, f"tee -q -o {_STAT_FILE} stat -json", *_sta_commands(top)]
    run = run_yosys(
        design_dir,
        commands,
        outputs=(_STAT_FILE, "sta.txt"),
        label=f"yosys ice40 synthesis and pre-route sta of {top}",
    )
    synth = _result(
        json.loads(run.outputs[_STAT_FILE]),
        top=top,
        target=SynthTarget.ICE40,
        dsp=dsp,
        params={},
        commands=flow,
        runtime_s=run.runtime_s,
    )
    return synth, _timing(run.outputs["sta.txt"], flow[0], top)
