"""Stage ``workload``: cycles, time and energy per inference of a GEMM workload.

:func:`hwgen.costmodel.workload.workload_metrics` on an R x C array of the point's design
(BitMoD's analytical model: output stationary, ``docs/cost.md``):

* the PE: a MAC or array is bit-parallel (one product per lane per cycle), the BitMoD PE
  bit-serial with ``dot`` lanes (``ceil(bits / 2)`` cycles per weight);
* the array: the design itself for the ``array`` family (its rows x cols, PE area = the
  array's area / (rows x cols)), else ``array = [R, C]`` copies of the PE;
* area per PE: the ASIC flow's ``area_um2`` (``cost.asic``, required);
* energy per PE cycle: the ``energy`` stage's gate-level figure (``energy = "activity"``),
  the ASIC flow's table estimate (``"table"``; MAC units with a fixed-point accumulator:
  the table has no alignment or normalisation cost) or none (``"none"``: time and throughput
  only). A design without such a figure gets no energy columns and says so in
  ``energy_source``; nothing is substituted;
* clock: ``clock_mhz`` when given, else the design's OpenSTA ``fmax_mhz``;
* stored bits: weights in the point's weight format with its scale overhead
  (:func:`hwgen.quant.bits_per_weight` at ``group_size``), activations in the activation
  format, outputs ``out_bits``; SRAM and DRAM energies per bit from Horowitz (45 nm).

Options live in ``[workload.gemm]``: ``preset`` (``bert-base``, ``llama2-7b-decode:2048``,
...; :data:`hwgen.costmodel.workload_presets.PRESETS`) or ``shapes = [[M, K, N], ...]``,
``array``, ``clock_mhz``, ``energy``, ``group_size`` (128), ``out_bits`` (16),
``sram_kib`` (512). Opt-in: name ``workload`` in ``[stages] run``.

``throughput_gmacs_per_s_mm2`` (MACs per second per mm2 of PE area: ``macs / time_s /
area``) is the throughput-per-area front's column.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hwgen.sweep.stages.base import Column, Stage, StageContext, StageInstance

__all__ = ["PeEnergy", "WorkloadOptions", "WorkloadStage"]


class PeEnergy(enum.StrEnum):
    """Where the energy of one PE cycle comes from."""

    ACTIVITY = "activity"
    TABLE = "table"
    NONE = "none"


@dataclass(frozen=True)
class WorkloadOptions:
    """``[workload.gemm]`` (see the module docstring)."""

    preset: str | None = "bert-base"
    shapes: tuple[tuple[int, int, int], ...] = ()
    array: tuple[int, int] = (16, 16)
    clock_mhz: float | None = None
    energy: PeEnergy = PeEnergy.TABLE
    group_size: int = 128
    out_bits: int = 16
    sram_kib: int = 512

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "preset": self.preset,
            "shapes": [list(s) for s in self.shapes],
            "array": list(self.array),
            "clock_mhz": self.clock_mhz,
            "energy": self.energy.value,
            "group_size": self.group_size,
            "out_bits": self.out_bits,
            "sram_kib": self.sram_kib,
        }

    def workload(self) -> Any:
        """The :class:`~hwgen.costmodel.workload.Workload`."""
        from hwgen.costmodel.workload import Workload
        from hwgen.costmodel.workload_presets import workload_preset

        if self.shapes:
            return Workload.from_shapes("shapes", self.shapes)
        assert self.preset is not None
        name, _, length = self.preset.partition(":")
        return workload_preset(name, length=int(length) if length else None)


def _is_shape(v: object) -> bool:
    return (
        isinstance(v, list)
        and len(v) == 3
        and all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in v)
    )


class WorkloadStage(Stage):
    """GEMM workload metrics of an array of the point's design."""

    name = "workload"
    summary = "GEMM workload: cycles, time, energy per inference, throughput per area"
    code = ("hwgen.costmodel.workload", "hwgen.costmodel.workload_presets", "hwgen.quant")
    prefix = "workload_"
    default = False

    @property
    def table(self) -> tuple[str, ...]:
        return ("workload", "gemm")

    def parse(self, table: Any) -> WorkloadOptions:
        if table is None:
            return WorkloadOptions()
        from hwgen.costmodel.workload_presets import PRESETS
        from hwgen.errors import HwgenError

        shapes = table.list(
            "shapes", [], item=_is_shape, kind="a list of [M, K, N] shapes (integers >= 1)"
        )
        preset = table.str("preset", None)
        if shapes and preset is not None:
            raise table.error("preset", f"{table.name} gives both shapes and a preset; give one")
        if not shapes and preset is None:
            raise table.error(None, f"{table.name} needs shapes or a preset")
        if preset is not None:
            name, _, length = preset.partition(":")
            if name not in PRESETS or (length and not length.isdigit()):
                raise table.error(
                    "preset",
                    f"{table.name} preset must be one of {', '.join(PRESETS)}"
                    f" (optionally NAME:LENGTH), not {preset!r}",
                )
        array = table.list(
            "array",
            [16, 16],
            item=lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
            kind="[ROWS, COLS] (integers >= 1)",
        )
        if len(array) != 2:
            raise table.error("array", f"{table.name} array must be [ROWS, COLS], not {array}")
        clock = table.number("clock_mhz", None, positive=True)
        energy = table.str("energy", PeEnergy.TABLE.value, choices=[e.value for e in PeEnergy])
        opts = WorkloadOptions(
            preset=preset,
            shapes=tuple(tuple(s) for s in shapes),
            array=(array[0], array[1]),
            clock_mhz=None if clock is None else float(clock),
            energy=PeEnergy(energy),
            group_size=table.int("group_size", 128, lo=1),
            out_bits=table.int("out_bits", 16, lo=1),
            sram_kib=table.int("sram_kib", 512, lo=1),
        )
        if opts.sram_kib > 1024:
            raise table.error(
                "sram_kib",
                f"{table.name} sram_kib must be <= 1024 (the largest tabulated SRAM),"
                f" not {opts.sram_kib}",
            )
        try:
            opts.workload()
        except HwgenError as exc:
            raise table.error("preset" if preset else "shapes", f"{table.name}: {exc}") from None
        table.finish(
            ["shapes", "preset", "array", "clock_mhz", "energy", "group_size", "out_bits",
             "sram_kib"]
        )  # fmt: skip
        return opts

    def instances(self, options: WorkloadOptions) -> tuple[StageInstance, ...]:
        needs: tuple[str, ...] = ("generate", "cost.asic")
        if options.energy is PeEnergy.ACTIVITY:
            needs = (*needs, "energy")
        return (StageInstance(self, self.name, options, self.prefix, needs),)

    def tools(self, options: Any) -> tuple[str, ...]:
        return ("numpy",)

    def applies(self, point: Any, options: Any) -> str | None:
        return None

    def columns(self, options: WorkloadOptions) -> tuple[Column, ...]:
        return (
            Column("name", "workload"),
            Column("array", "array of PEs"),
            Column("macs", "MACs per inference"),
            Column("cycles", "cycles per inference", better="lower"),
            Column("clock_mhz", "clock (MHz)"),
            Column("time_s", "time per inference (s)", better="lower"),
            Column("utilisation", "array utilisation"),
            Column("area_mm2", "PE array area (mm2)", better="lower"),
            Column(
                "throughput_gmacs_per_s_mm2",
                "throughput per area (GMAC/s/mm2)",
                better="higher",
                role="throughput_per_area",
            ),
            Column("energy_pj", "energy per inference (pJ)", better="lower", role="energy"),
            Column("compute_energy_pj", "compute energy per inference (pJ)"),
            Column("memory_energy_pj", "SRAM + DRAM energy per inference (pJ)"),
            Column("source", "workload model"),
            Column("energy_source", "PE energy per cycle"),
        )

    def run(
        self,
        point: Any,
        options: WorkloadOptions,
        inputs: Mapping[str, Mapping[str, Any]],
        ctx: StageContext,
    ) -> dict[str, Any]:
        from hwgen.costmodel.workload import (
            ArraySpec,
            Cited,
            PeKind,
            PeSpec,
            Precision,
            workload_metrics,
        )
        from hwgen.costmodel.workload_presets import horowitz_memory
        from hwgen.errors import HwgenError
        from hwgen.formats import get
        from hwgen.quant import bits_per_weight

        asic = inputs["cost.asic"]
        config = point.build()
        rows, cols = (config.rows, config.cols) if point.family == "array" else options.array
        pes_in_design = config.rows * config.cols if point.family == "array" else 1
        area_pe = float(asic["area_um2"]) / pes_in_design
        if options.clock_mhz is not None:
            clock_mhz, clock_src = options.clock_mhz, "[workload.gemm] clock_mhz"
        else:
            clock_mhz, clock_src = float(asic["fmax_mhz"]), "design fmax (OpenSTA)"
        energy_pj: float | None = None
        energy_src = "none requested"
        if options.energy is PeEnergy.ACTIVITY:
            energy_pj = inputs["energy"].get("energy_pj_per_mac")
            energy_src = str(inputs["energy"].get("source"))
        elif options.energy is PeEnergy.TABLE and point.value("acc_format") is not None:
            # The table prices an integer adder of the accumulator's width: for a float
            # accumulator (alignment, normalisation, rounding) it would rank it cheapest.
            energy_src = (
                f"no table estimate for a float accumulator ({point.value('acc_format')}):"
                " the table has no alignment or normalisation cost"
            )
        elif options.energy is PeEnergy.TABLE:
            energy_pj = asic.get("table_energy_pj_per_mac")
            energy_src = str(asic.get("table_source") or "")
            if energy_pj is None:
                energy_src = f"no table estimate for {point.family} {point.operands[1]} designs"
        a_fmt, w_fmt = point.operands
        bitmod = point.family == "bitmod_pe"
        pe = PeSpec(
            kind=PeKind.BITMOD if bitmod else PeKind.BIT_PARALLEL,
            area_um2=Cited(area_pe, "um2", str(asic.get("source"))),
            # A missing energy prices compute at 0 and is reported as absent below.
            energy_pj_per_cycle=Cited(float(energy_pj or 0.0), "pJ/cycle", energy_src),
            dot=int(config.dot) if bitmod else 1,
            name=point.name,
        )
        array = ArraySpec(
            rows=rows, cols=cols, pe=pe, clock_hz=Cited(clock_mhz * 1e6, "Hz", clock_src)
        )
        try:
            w_bits = bits_per_weight(get(w_fmt), group_size=options.group_size)
        except HwgenError as exc:
            raise HwgenError(f"workload: weight format {w_fmt}: {exc}") from None
        a_bits = float(get(a_fmt).bits)
        prec = Precision(
            weight_bits=w_bits, act_bits=a_bits, out_bits=float(options.out_bits), kv_bits=a_bits
        )
        wl = options.workload()
        m = workload_metrics(wl, array, prec, horowitz_memory(options.sram_kib * 1024))
        area_mm2 = m.area_um2 / 1e6
        memory = m.sram_energy_pj + m.dram_energy_pj
        out: dict[str, Any] = {
            "name": m.workload,
            "array": f"{rows}x{cols}",
            "macs": m.macs,
            "cycles": m.cycles,
            "clock_mhz": round(clock_mhz, 6),
            "time_s": m.time_s,
            "utilisation": m.utilisation,
            "area_mm2": area_mm2,
            "throughput_gmacs_per_s_mm2": m.macs / m.time_s / area_mm2 / 1e9,
            "memory_energy_pj": memory,
            "weight_bits": w_bits,
            "source": (
                f"hwgen.costmodel.workload (BitMoD analytical model, output stationary);"
                f" {wl.name}; {rows}x{cols} PEs at {clock_mhz:.1f} MHz ({clock_src});"
                f" PE area from cost.asic; memory: Horowitz 45 nm, {options.sram_kib} KiB SRAM"
            ),
            "energy_source": energy_src,
        }
        if energy_pj is not None:
            out["energy_pj"] = m.energy_pj
            out["compute_energy_pj"] = m.compute_energy_pj
        return out
