"""Accelerator-level metrics of a GEMM workload on an R x C array of one PE design.

Performance follows BitMoD's analytical model (BitMoD, HPCA 2025, and its authors'
simulator; ``shared/reference/bitmod.md``): output stationary, array rows hold output
channels ``N``, columns hold tokens ``M``, and every PE reduces ``dot`` elements of ``K``
per step::

    tiles  = ceil(K / dot) * ceil(N / rows) * ceil(M / cols)      (x count)
    cycles = tiles * pe_latency(datatype of the serialized operand)

A bit-parallel MAC has ``dot = 1`` and latency 1; the BitMoD PE has ``dot = 4`` and
``ceil(floor(w_prec) / 2)`` cycles per weight (FP3/FP4 2, INT6 3, INT8 4). With a DRAM
bandwidth the time of a GEMM is ``max(compute, DRAM traffic / bandwidth)`` as in BitMoD's
simulator; without one it is the compute time.

Energy per inference = compute + SRAM + DRAM traffic:

* compute: active PE cycles ``MACs * latency / dot`` times the PE's energy per cycle
  (for a bit-parallel MAC that is the energy per MAC);
* SRAM (output stationary reuse): every weight element is read once per column block
  (``ceil(M / cols)`` times), every activation element once per row block
  (``ceil(N / rows)`` times), every output written once;
* DRAM: every weight (with its scales) read once, activations read once and outputs
  written once per GEMM (no reuse across layers: what a layer must move when its
  operands do not stay on chip).

Bits per element include the per-group scale overhead (e.g. ``4 + 16/128`` for INT4 with
FP16 group scales), see :class:`Precision`. Every constant carries its source
(:class:`Cited`); results are frozen and carry units in their names.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass

from hwgen._validate import check_type
from hwgen.errors import HwgenError

__all__ = [
    "ArraySpec",
    "BOperand",
    "Cited",
    "GemmMetrics",
    "GemmShape",
    "MemorySpec",
    "PeKind",
    "PeSpec",
    "Precision",
    "Workload",
    "WorkloadMetrics",
    "workload_metrics",
]


def _pos_int(value: object, role: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HwgenError(f"{role} must be a positive integer, not {value!r}")
    if value < 1:
        raise HwgenError(f"{role} must be a positive integer, not {value}")
    return value


def _pos_float(value: object, role: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise HwgenError(f"{role} must be a number, not {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise HwgenError(f"{role} must be a finite number > 0, not {value!r}")
    return float(value)


@dataclass(frozen=True)
class Cited:
    """A constant with its unit and where it comes from.

    Parameters
    ----------
    value
        The number, finite and >= 0.
    unit
        Its unit (``pJ/bit``, ``um2``...).
    source
        Where it comes from (publication, table, tool run), non-empty.
    """

    value: float
    unit: str
    source: str

    def __post_init__(self) -> None:
        v = self.value
        if (
            isinstance(v, bool)
            or not isinstance(v, int | float)
            or not (math.isfinite(v) and v >= 0)
        ):
            raise HwgenError(f"a cited value must be a finite number >= 0, not {v!r}")
        if not (isinstance(self.source, str) and self.source.strip()):
            raise HwgenError(f"cited value {v} {self.unit} needs a source")
        object.__setattr__(self, "value", float(v))


class BOperand(enum.StrEnum):
    """What the ``B[K, N]`` operand of a GEMM is (it is the serialized one on a BitMoD PE)."""

    WEIGHT = "weight"  # static weights: read from DRAM once per inference
    KV_CACHE = "kv-cache"  # keys / values (attention): stored at the KV precision


@dataclass(frozen=True)
class GemmShape:
    """One GEMM ``Y[M, N] = A[M, K] @ B[K, N]`` of a workload, run ``count`` times.

    Parameters
    ----------
    name
        Label (``q_proj``, ``attn_qk``...).
    m, k, n
        Tokens, reduction length, output channels; positive integers.
    count
        How many times it runs per inference (layers x heads), positive.
    b_operand
        :class:`BOperand` of ``B``.
    """

    name: str
    m: int
    k: int
    n: int
    count: int = 1
    b_operand: BOperand = BOperand.WEIGHT

    def __post_init__(self) -> None:
        for role in ("m", "k", "n", "count"):
            _pos_int(getattr(self, role), f"GEMM {self.name!r} {role}")
        try:
            object.__setattr__(self, "b_operand", BOperand(self.b_operand))
        except ValueError:
            allowed = ", ".join(b.value for b in BOperand)
            raise HwgenError(
                f"b_operand must be one of {allowed}, not {self.b_operand!r}"
            ) from None

    @property
    def macs(self) -> int:
        """Multiply-accumulates of all ``count`` runs."""
        return self.m * self.k * self.n * self.count


@dataclass(frozen=True)
class Workload:
    """A named list of GEMMs (one inference); see :mod:`hwgen.costmodel.workload_presets`."""

    name: str
    gemms: tuple[GemmShape, ...]
    source: str = ""

    def __post_init__(self) -> None:
        gemms = tuple(self.gemms)
        if not gemms:
            raise HwgenError(f"workload {self.name!r} needs at least one GEMM")
        for g in gemms:
            if not isinstance(g, GemmShape):
                raise HwgenError(f"workload {self.name!r}: {g!r} is not a GemmShape")
        object.__setattr__(self, "gemms", gemms)

    @classmethod
    def from_shapes(cls, name: str, shapes: Iterable[tuple[int, int, int]]) -> Workload:
        """A workload from ``(M, K, N)`` triples (each run once, weights as ``B``)."""
        gemms = []
        for i, shape in enumerate(shapes):
            if not (isinstance(shape, tuple | list) and len(shape) == 3):
                raise HwgenError(f"GEMM shape must be (M, K, N), not {shape!r}")
            gemms.append(GemmShape(f"gemm{i}", *shape))
        return cls(name=name, gemms=tuple(gemms))

    @property
    def macs(self) -> int:
        """Multiply-accumulates of one inference."""
        return sum(g.macs for g in self.gemms)


class PeKind(enum.StrEnum):
    """The processing element's micro-architecture class."""

    BIT_PARALLEL = "bit-parallel"  # one product per cycle per lane, any datatype
    BITMOD = "bitmod"  # bit-serial weights, 2 bits of weight per cycle


@dataclass(frozen=True, kw_only=True)
class PeSpec:
    """One processing element.

    Parameters
    ----------
    kind
        :class:`PeKind`.
    area_um2
        :class:`Cited` area per PE (um2).
    energy_pj_per_cycle
        :class:`Cited` energy of one busy PE cycle (pJ); for a bit-parallel MAC (dot 1)
        this is the energy per MAC.
    dot
        Elements of K a PE reduces per step: default 1 (bit-parallel), 4 (BitMoD).
    name
        Label.
    """

    kind: PeKind
    area_um2: Cited
    energy_pj_per_cycle: Cited
    dot: int | None = None
    name: str = ""

    def __post_init__(self) -> None:
        try:
            kind = PeKind(self.kind)
        except ValueError:
            allowed = ", ".join(k.value for k in PeKind)
            raise HwgenError(f"PE kind must be one of {allowed}, not {self.kind!r}") from None
        object.__setattr__(self, "kind", kind)
        dot = (4 if kind is PeKind.BITMOD else 1) if self.dot is None else self.dot
        object.__setattr__(self, "dot", _pos_int(dot, "PE dot"))
        for role in ("area_um2", "energy_pj_per_cycle"):
            if not isinstance(getattr(self, role), Cited):
                raise HwgenError(f"PE {role} must be a Cited value, not {getattr(self, role)!r}")

    def latency_cycles(self, b_bits: float) -> int:
        """Cycles per ``dot``-element step for a serialized operand of ``b_bits`` bits.

        Bit-parallel: 1. BitMoD: ``ceil(floor(b_bits) / 2)`` (its simulator; the fraction
        of ``b_bits`` is the per-group scale overhead, e.g. 6.0625 for lossless INT6).
        """
        if self.kind is PeKind.BIT_PARALLEL:
            return 1
        return max(1, math.ceil(math.floor(b_bits) / 2))


@dataclass(frozen=True, kw_only=True)
class ArraySpec:
    """An R x C array of one PE at a clock.

    Parameters
    ----------
    rows, cols
        Array size: rows hold output channels, columns tokens.
    pe
        :class:`PeSpec`.
    clock_hz
        :class:`Cited` clock frequency (Hz).
    """

    rows: int
    cols: int
    pe: PeSpec
    clock_hz: Cited

    def __post_init__(self) -> None:
        _pos_int(self.rows, "array rows")
        _pos_int(self.cols, "array cols")
        check_type("pe", self.pe, PeSpec)
        if not isinstance(self.clock_hz, Cited) or self.clock_hz.value <= 0:
            raise HwgenError(f"clock_hz must be a Cited value > 0, not {self.clock_hz!r}")

    @property
    def area_um2(self) -> float:
        """``rows * cols * PE area``."""
        return self.rows * self.cols * self.pe.area_um2.value

    @property
    def label(self) -> str:
        """``<pe> [RxC]``."""
        return f"{self.pe.name or self.pe.kind.value} [{self.rows}x{self.cols}]"


@dataclass(frozen=True, kw_only=True)
class Precision:
    """Stored bits per element of the operands, scale overhead included.

    Parameters
    ----------
    weight_bits
        Per weight (e.g. ``4 + 16/128`` INT4 with FP16 group scales; BitMoD FP4
        ``4 + (8 + 2)/128``).
    act_bits
        Per activation element read by the array (its scales included).
    out_bits
        Per output element written.
    kv_bits
        Per key / value element (the ``B`` operand of attention GEMMs).
    """

    weight_bits: float
    act_bits: float
    out_bits: float
    kv_bits: float

    def __post_init__(self) -> None:
        for role in ("weight_bits", "act_bits", "out_bits", "kv_bits"):
            object.__setattr__(self, role, _pos_float(getattr(self, role), role))

    def b_bits(self, gemm: GemmShape) -> float:
        """Bits per element of a GEMM's ``B`` operand."""
        return self.weight_bits if gemm.b_operand is BOperand.WEIGHT else self.kv_bits


@dataclass(frozen=True, kw_only=True)
class MemorySpec:
    """Energy per bit of the on-chip buffers and of DRAM, optional DRAM bandwidth.

    Parameters
    ----------
    sram_pj_per_bit, dram_pj_per_bit
        :class:`Cited` energies per bit moved (pJ/bit).
    dram_bytes_per_s
        :class:`Cited` DRAM bandwidth; ``None`` makes the time compute-only.
    """

    sram_pj_per_bit: Cited
    dram_pj_per_bit: Cited
    dram_bytes_per_s: Cited | None = None

    def __post_init__(self) -> None:
        for role in ("sram_pj_per_bit", "dram_pj_per_bit"):
            if not isinstance(getattr(self, role), Cited):
                raise HwgenError(f"{role} must be a Cited value, not {getattr(self, role)!r}")
        bw = self.dram_bytes_per_s
        if bw is not None and (not isinstance(bw, Cited) or bw.value <= 0):
            raise HwgenError(f"dram_bytes_per_s must be a Cited value > 0 or None, not {bw!r}")


@dataclass(frozen=True)
class GemmMetrics:
    """Metrics of one GEMM (all ``count`` runs).

    ``utilisation`` is the share of the array's multiplier lanes doing useful work over
    the GEMM's compute cycles: ``MACs * latency / (cycles * rows * cols * dot)``.
    """

    name: str
    m: int
    k: int
    n: int
    count: int
    macs: int
    tiles: int
    pe_latency_cycles: int
    cycles: int
    compute_time_s: float
    dram_time_s: float | None
    time_s: float
    macs_per_cycle: float
    utilisation: float
    sram_bits: float
    dram_bits: float
    compute_energy_pj: float
    sram_energy_pj: float
    dram_energy_pj: float
    energy_pj: float


@dataclass(frozen=True)
class WorkloadMetrics:
    """Metrics of one inference of a workload on one array.

    ``cycles`` are compute cycles; ``time_s`` adds the DRAM bound per GEMM when a
    bandwidth is given. ``provenance`` names the source of every constant used.
    """

    workload: str
    array: str
    macs: int
    cycles: int
    time_s: float
    macs_per_cycle: float
    utilisation: float
    compute_energy_pj: float
    sram_energy_pj: float
    dram_energy_pj: float
    energy_pj: float
    area_um2: float
    gemms: tuple[GemmMetrics, ...]
    provenance: tuple[tuple[str, str], ...]


def _gemm_metrics(g: GemmShape, array: ArraySpec, prec: Precision, mem: MemorySpec) -> GemmMetrics:
    pe = array.pe
    dot = int(pe.dot)  # type: ignore[arg-type]
    b_bits = prec.b_bits(g)
    latency = pe.latency_cycles(b_bits)
    row_blocks = -(-g.n // array.rows)
    col_blocks = -(-g.m // array.cols)
    tiles = -(-g.k // dot) * row_blocks * col_blocks * g.count
    cycles = tiles * latency
    clock = array.clock_hz.value
    compute_time = cycles / clock
    b_elems = g.k * g.n * g.count
    a_elems = g.m * g.k * g.count
    y_elems = g.m * g.n * g.count
    sram_bits = (
        b_elems * b_bits * col_blocks
        + a_elems * prec.act_bits * row_blocks
        + y_elems * prec.out_bits
    )
    dram_bits = b_elems * b_bits + a_elems * prec.act_bits + y_elems * prec.out_bits
    bw = mem.dram_bytes_per_s
    dram_time = None if bw is None else dram_bits / 8 / bw.value
    time = compute_time if dram_time is None else max(compute_time, dram_time)
    # Busy PE cycles: every MAC occupies a PE lane for latency / dot cycles.
    compute_e = g.macs * latency / dot * pe.energy_pj_per_cycle.value
    sram_e = sram_bits * mem.sram_pj_per_bit.value
    dram_e = dram_bits * mem.dram_pj_per_bit.value
    lanes = array.rows * array.cols * dot
    return GemmMetrics(
        name=g.name,
        m=g.m,
        k=g.k,
        n=g.n,
        count=g.count,
        macs=g.macs,
        tiles=tiles,
        pe_latency_cycles=latency,
        cycles=cycles,
        compute_time_s=compute_time,
        dram_time_s=dram_time,
        time_s=time,
        macs_per_cycle=g.macs / cycles,
        utilisation=g.macs * latency / (cycles * lanes),
        sram_bits=sram_bits,
        dram_bits=dram_bits,
        compute_energy_pj=compute_e,
        sram_energy_pj=sram_e,
        dram_energy_pj=dram_e,
        energy_pj=compute_e + sram_e + dram_e,
    )


def workload_metrics(
    workload: Workload, array: ArraySpec, precision: Precision, memory: MemorySpec
) -> WorkloadMetrics:
    """Cycles, time, energy and area of one inference of ``workload`` (module docstring).

    Raises
    ------
    HwgenError
        Arguments of the wrong type.
    """
    for obj, cls in (
        (workload, Workload),
        (array, ArraySpec),
        (precision, Precision),
        (memory, MemorySpec),
    ):
        if not isinstance(obj, cls):
            raise HwgenError(f"expected a {cls.__name__}, not {type(obj).__name__}")
    rows = tuple(_gemm_metrics(g, array, precision, memory) for g in workload.gemms)
    macs = sum(r.macs for r in rows)
    cycles = sum(r.cycles for r in rows)
    dot = int(array.pe.dot)  # type: ignore[arg-type]
    busy = sum(r.macs * r.pe_latency_cycles for r in rows)
    compute_e = sum(r.compute_energy_pj for r in rows)
    sram_e = sum(r.sram_energy_pj for r in rows)
    dram_e = sum(r.dram_energy_pj for r in rows)
    prov = [
        ("pe.area_um2", array.pe.area_um2.source),
        ("pe.energy_pj_per_cycle", array.pe.energy_pj_per_cycle.source),
        ("clock_hz", array.clock_hz.source),
        ("sram_pj_per_bit", memory.sram_pj_per_bit.source),
        ("dram_pj_per_bit", memory.dram_pj_per_bit.source),
    ]
    if memory.dram_bytes_per_s is not None:
        prov.append(("dram_bytes_per_s", memory.dram_bytes_per_s.source))
    if workload.source:
        prov.append(("workload", workload.source))
    return WorkloadMetrics(
        workload=workload.name,
        array=array.label,
        macs=macs,
        cycles=cycles,
        time_s=sum(r.time_s for r in rows),
        macs_per_cycle=macs / cycles,
        utilisation=busy / (cycles * array.rows * array.cols * dot),
        compute_energy_pj=compute_e,
        sram_energy_pj=sram_e,
        dram_energy_pj=dram_e,
        energy_pj=compute_e + sram_e + dram_e,
        area_um2=array.area_um2,
        gemms=rows,
        provenance=tuple(prov),
    )
