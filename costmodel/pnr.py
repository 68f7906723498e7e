"""FPGA place and route (iCE40 HX8K, ECP5-25F) with nextpnr, inside a small wrapper.

A MAC's buses do not fit a real package's pins, so the design is placed inside
:class:`PnrWrapper` (built with Amaranth, like the verification harness):

- one serial input pin ``sin`` feeds a shift register as wide as all the design's inputs
  (except clock and reset); its parallel outputs drive the design's inputs, so every
  input comes straight from a flip-flop;
- every output bit of the design goes into one XOR tree whose result is registered and
  drives the single output pin ``sout``, so no output can be optimised away;
- pins: ``clk``, ``rst`` (the design's synchronous reset), ``sin``, ``sout``.

The wrapper adds one flip-flop per input bit, the XOR tree (about outputs / 3 LUT4s) and
one flip-flop; ``placed_cells`` counts everything placed. nextpnr runs with ``--freq 100
--timing-allow-fail`` on three seeds (1, 2, 3); the reported fmax is the median
(seed spread up to +-10 % was measured, ``shared/reference/cost-anchors.md``).
"""

from __future__ import annotations

import enum
import statistics
from dataclasses import dataclass
from pathlib import Path

from amaranth.hdl import ClockSignal, Instance, Module, ResetSignal, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen.costmodel.synth import run_yosys
from hwgen.emit.manifest import Manifest, PortDir
from hwgen.errors import HwgenError
from hwgen.tools.nextpnr import NextpnrError, nextpnr_version, run_pnr
from hwgen.tools.scratch import scratch_dir
from hwgen.tools.sources import design_sources

__all__ = ["Device", "PnrResult", "PnrWrapper", "place_and_route", "wrapper_name"]

SEEDS = (1, 2, 3)
FREQ_MHZ = 100


class Device(enum.StrEnum):
    """The devices hwgen places on, by FPGA family."""

    ICE40 = "ice40"
    ECP5 = "ecp5"


_DEVICE = {
    Device.ICE40: ("iCE40 HX8K ct256", ["--hx8k", "--package", "ct256"]),
    Device.ECP5: ("ECP5 LFE5U-25F CABGA256", ["--25k", "--package", "CABGA256"]),
}
_NO_FIT = ("no bels remaining", "does not fit", "too many", "more than available")
_LOGIC = {Device.ICE40: "ICESTORM_LC", Device.ECP5: "TRELLIS_COMB"}


def wrapper_name(manifest: Manifest) -> str:
    """Verilog module name of the P&R wrapper of a design."""
    return f"hwgen_pnr_{manifest.top}"


class PnrWrapper(wiring.Component):
    """Serial-in, XOR-tree-out wrapper around a design (see the module docstring)."""

    def __init__(self, *, manifest: Manifest) -> None:
        self._manifest = manifest
        self._inputs = [
            p for p in manifest.ports if p.dir == PortDir.IN and p.role not in ("clk", "rst")
        ]
        self._outputs = [p for p in manifest.ports if p.dir == PortDir.OUT and p.width > 0]
        if not self._inputs or not self._outputs:
            raise HwgenError(f"design {manifest.top} needs data inputs and outputs for P&R")
        super().__init__({"sin": In(1), "sout": Out(1)})

    def elaborate(self, platform: object) -> Module:
        """Shift register -> design -> XOR tree -> register."""
        m = Module()
        man = self._manifest
        total = sum(p.width for p in self._inputs)
        shift = Signal(total, name="shift")
        m.d.sync += shift.eq(shift << 1 | self.sin) if total > 1 else shift.eq(self.sin)
        kwargs: dict[str, object] = {
            f"i_{man.clock}": ClockSignal(),
            f"i_{man.reset.port}": ResetSignal(),
        }
        pos = 0
        for p in self._inputs:
            kwargs[f"i_{p.name}"] = shift[pos : pos + p.width]
            pos += p.width
        bits = []
        for p in self._outputs:
            sig = Signal(p.width, name=f"out_{p.name}")
            kwargs[f"o_{p.name}"] = sig
            bits.append(sig.xor())
        tree = bits[0]
        for b in bits[1:]:
            tree = tree ^ b
        m.d.sync += self.sout.eq(tree)
        m.submodules.dut = Instance(man.top, **kwargs)
        return m


@dataclass(frozen=True, slots=True, kw_only=True)
class PnrResult:
    """Routed results: fmax per seed (MHz) and their median, logic cells placed."""

    device: str
    fmax_mhz_seeds: tuple[float, ...]
    fmax_mhz: float
    placed_cells: int
    logic_capacity: int
    tool: str
    flow: str
    runtime_s: float


def place_and_route(design_dir: Path, *, family: Device, dsp: bool) -> PnrResult:
    """Synthesize the wrapped design and place and route it on three seeds.

    Raises
    ------
    HwgenError
        The design does not fit the device (one line: what, how many, how many there are).
    NextpnrError, SynthesisError
        The tool failed (its message).
    """
    from hwgen.emit import to_verilog

    family = Device(family)
    man = Manifest.load(design_dir)
    top = wrapper_name(man)
    wrapper = to_verilog(
        PnrWrapper(manifest=man), top=top, banner=f"hwgen P&R wrapper of {man.top}"
    )
    srcs = design_sources(design_dir)
    device, dev_args = _DEVICE[family]
    if family is Device.ICE40:
        synth = f"synth_ice40{' -dsp' if dsp else ''} -top {top}"
    else:
        synth = f"synth_ecp5{'' if dsp else ' -nodsp'} -top {top}"
    with scratch_dir("pnr") as work:
        work = Path(work)
        (work / "wrapper_src").mkdir()
        wrapper_file = work / "wrapper_src" / f"{top}.v"
        wrapper_file.write_text(wrapper, encoding="utf-8")
        run_yosys(
            [*srcs.verilog, *srcs.headers, wrapper_file],
            [synth, "write_json design.json"],
            outputs=("design.json",),
            label=f"yosys {family} synthesis of {top}",
            workdir=work,
        )
        fmaxes: list[float] = []
        placed = capacity = 0
        seconds = 0.0
        for seed in SEEDS:
            args = [*dev_args, "--json", "design.json", "--freq", str(FREQ_MHZ)]
            args += ["--timing-allow-fail", "--seed", str(seed)]
            try:
                run = run_pnr(family.value, args, cwd=work, label=f"nextpnr-{family} of {top}")
            except NextpnrError as exc:
                msg = str(exc)
                if any(k in msg.lower() for k in _NO_FIT):
                    hint = " (it has no DSP blocks: use --no-dsp)" if "DSP" in msg else ""
                    raise HwgenError(
                        f"design {man.top} does not fit the {device}{hint}: "
                        f"{msg.split(' failed: ', 1)[-1]}"
                    ) from None
                raise
            seconds += run.runtime_s
            fmax = run.report.get("fmax", {})
            clocks = [v["achieved"] for v in fmax.values() if "achieved" in v]
            if not clocks:
                raise NextpnrError(f"nextpnr-{family} of {top} failed: no fmax in its report")
            fmaxes.append(round(min(clocks), 2))
            used = run.report.get("utilization", {}).get(_LOGIC[family], {})
            placed, capacity = int(used.get("used", 0)), int(used.get("available", 0))
    return PnrResult(
        device=device,
        fmax_mhz_seeds=tuple(fmaxes),
        fmax_mhz=round(statistics.median(fmaxes), 2),
        placed_cells=placed,
        logic_capacity=capacity,
        tool=nextpnr_version(family.value),
        flow=f"{synth.replace(f' -top {top}', '')}; nextpnr {' '.join(dev_args)} "
        f"--freq {FREQ_MHZ} --timing-allow-fail",
        runtime_s=round(seconds, 3),
    )
