"""``BitmodArrayConfig``: an R x C output-stationary array of BitMoD PEs (kind ``bitmod_array``).

Every PE is the :class:`~hwgen.design.bitmod.BitmodPEConfig` design, used through its
public ports only. Activations travel along the rows (one register per PE hop), weight
codes, group metadata and the special-value write port go down the columns (delayed by
the column index so they meet the activations, then broadcast to the column's R PEs).
Data flow, ports, the stream protocol and its timing: ``docs/hardware.md`` ("BitMoD PE
array"); the array golden model: :mod:`hwgen.golden.bitmod.array`. Pure Python, no
Amaranth import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from hwgen._validate import check_type
from hwgen.design.base import (
    ArrayInfo,
    DesignConfig,
    DesignFacts,
    OptionSpec,
    Port,
    PortDir,
    Role,
    clock_and_reset,
)
from hwgen.design.bitmod import W_FORMAT, BitmodPEConfig, group_flag_bits, metadata_ports
from hwgen.design.shape import SHAPE_KEYS, check_shape, pe_keys, row_bits, shape_options
from hwgen.errors import HwgenError
from hwgen.golden.bitmod.array import served_cycles
from hwgen.golden.bitmod.config import (
    DTYPE_BITS,
    GROUP_FLAG_BITS,
    SCALE_BITS,
    SEL_BITS,
    SV_FIELD_BITS,
    WEIGHT_CODE_BITS,
    PEMode,
)

__all__ = ["IN_FLIGHT_GROUPS", "MAX_DIM", "BitmodArrayConfig"]

MAX_DIM = 32
"""Largest number of rows or columns (each PE is a few thousand cells)."""

IN_FLIGHT_GROUPS = 2
"""Array groups whose last beat was taken and whose rows are not all drained, at most.

The result buffer holds two array groups per PE (one collecting, one draining), so the
last beat of a third group is refused until the oldest group is drained.
"""


@dataclass(frozen=True, kw_only=True)
class BitmodArrayConfig(DesignConfig):
    """A validated R x C output-stationary array of identical BitMoD PEs.

    Parameters
    ----------
    pe
        Configuration of every PE (activation format, ``dot``, mode, group size, served
        datatypes, special-value reset contents, narrow widths).
    rows, cols
        Array shape, each in ``1 .. 32``: rows = activation rows (M), columns = output
        channels (N).

    Examples
    --------
    >>> BitmodArrayConfig(pe=BitmodPEConfig(group_size=32), rows=2, cols=4).name
    'bitmod_array2x4_fp16_d4_g32_exact'
    """

    pe: BitmodPEConfig
    rows: int
    cols: int

    kind: ClassVar[str] = "bitmod_array"

    def __post_init__(self) -> None:
        check_type("pe", self.pe, BitmodPEConfig)
        check_shape(self, MAX_DIM)

    # ----------------------------------------------------------------- identity
    @property
    def name(self) -> str:
        """Stable module name, e.g. ``bitmod_array4x4_fp16_d4_g128_narrow``."""
        return f"bitmod_array{self.rows}x{self.cols}_{self.pe.name.removeprefix('bitmod_pe_')}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able flat dict: ``rows``, ``cols`` and every PE key."""
        return {"rows": self.rows, "cols": self.cols, **self.pe.to_dict()}

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """Keys :meth:`from_dict` accepts."""
        return (*SHAPE_KEYS, *BitmodPEConfig.keys())

    @classmethod
    def required_keys(cls) -> tuple[str, ...]:
        """``rows`` and ``cols`` (every PE key has a default)."""
        return SHAPE_KEYS

    @classmethod
    def _build(cls, d: Mapping[str, Any]) -> Self:
        pe = BitmodPEConfig.from_dict(pe_keys(d))
        return cls(pe=pe, rows=d["rows"], cols=d["cols"])

    @classmethod
    def options(cls) -> tuple[OptionSpec, ...]:
        """``rows``, ``cols`` and the PE options of ``hwgen generate bitmod-pe``."""
        return (
            *shape_options(MAX_DIM),
            *BitmodPEConfig.options(),
        )

    # ----------------------------------------------------------------- derived facts
    @property
    def row_bits(self) -> int:
        """Width of ``out_row``: ``ceil(log2(rows))``, at least 1."""
        return row_bits(self.rows)

    @property
    def skew(self) -> int:
        """Cycles between column 0 and column ``C - 1`` seeing the same beat."""
        return self.cols - 1

    def cadence(self, dtypes: tuple[int, ...] | list[int]) -> int:
        """Cycles per data beat of an array group with column datatype codes ``dtypes``.

        The slowest column sets the pace: ``max_j cycles(dtype_j)`` (a code of no served
        datatype counts as the PE's fastest type, as the PE does).
        """
        if len(dtypes) != self.cols:
            raise HwgenError(f"need {self.cols} datatype codes (one per column), not {len(dtypes)}")
        return max(served_cycles(self.pe, int(c)) for c in dtypes)

    def group_cycles(self, dtypes: tuple[int, ...] | list[int]) -> int:
        """Cycles an array group occupies the input stream: ``beats_per_group * cadence``."""
        return self.pe.beats_per_group * self.cadence(dtypes)

    @property
    def latency(self) -> int:
        """Worst-case rising edges from the edge taking a group's last beat to ``out_valid``.

        Column ``j``'s hold registers take the beat ``j`` edges later and offer it to
        the PEs from the next cycle; the PEs take it at the edge of its last term step
        (``cycles`` edges after the hold edge), deliver ``pe.group_latency`` edges after
        that, and the result buffer takes one more edge:
        ``cols - 1 + max cycles + pe.latency + 1``. Holds when the result buffer has room.
        """
        return self.skew + self.pe.max_cycles + self.pe.latency + 1

    @property
    def stall_free_group_cycles(self) -> int:
        """Smallest array-group duration (cycles) at which ``ready`` never waits for the drain.

        With ``out_ready`` high, group ``g`` is drained ``latency + rows`` edges after its
        last beat; the last beat of group ``g + 2`` must come no earlier, so two groups
        must last at least that long.
        """
        return -(-(self.latency + self.rows) // IN_FLIGHT_GROUPS)

    @property
    def macs_per_cycle(self) -> dict[str, float]:
        """MACs per cycle of the array, per datatype (every column on that datatype)."""
        return {k: v * self.rows * self.cols for k, v in self.pe.macs_per_cycle.items()}

    # ----------------------------------------------------------------- interface
    def ports(self) -> tuple[Port, ...]:
        """Every port in declaration order (``docs/hardware.md``, "BitMoD PE array")."""
        pe, r, c, d = self.pe, self.rows, self.cols, self.pe.dot
        ports = [
            *clock_and_reset(),
            Port(name="meta_valid", dir=PortDir.IN, width=1, role=Role.META_VALID),
            Port(name="meta_ready", dir=PortDir.OUT, width=1, role=Role.META_READY),
            Port(
                name="meta_dtype",
                dir=PortDir.IN,
                width=c * DTYPE_BITS,
                role=Role.DTYPE,
                elements=c,
            ),
            Port(
                name="meta_sel", dir=PortDir.IN, width=c * SEL_BITS, role=Role.SELECTOR, elements=c
            ),
            Port(
                name="meta_scale", dir=PortDir.IN, width=c * SCALE_BITS, role=Role.SCALE, elements=c
            ),
            Port(name="valid", dir=PortDir.IN, width=1, role=Role.VALID),
            Port(name="ready", dir=PortDir.OUT, width=1, role=Role.READY),
            Port(name="a", dir=PortDir.IN, width=r * d * pe.act_bits, role=Role.A, elements=r * d),
            Port(
                name="w",
                dir=PortDir.IN,
                width=c * d * WEIGHT_CODE_BITS,
                role=Role.W,
                elements=c * d,
            ),
            Port(name="sv_we", dir=PortDir.IN, width=1, role=Role.SV_WE),
            Port(name="sv_addr", dir=PortDir.IN, width=SEL_BITS, role=Role.SV_ADDR),
            Port(name="sv_data", dir=PortDir.IN, width=SV_FIELD_BITS, role=Role.SV_DATA),
            Port(name="out_valid", dir=PortDir.OUT, width=1, role=Role.OUT_VALID),
            Port(name="out_ready", dir=PortDir.IN, width=1, role=Role.OUT_READY),
            Port(name="out_row", dir=PortDir.OUT, width=self.row_bits, role=Role.OUT_ROW),
            Port(
                name="out_man",
                dir=PortDir.OUT,
                width=c * pe.out_man_bits,
                role=Role.OUT_MAN,
                signed=True,
                elements=c,
            ),
        ]
        if pe.mode is PEMode.NARROW:
            ports.append(
                Port(
                    name="out_exp",
                    dir=PortDir.OUT,
                    width=c * pe.out_exp_bits,
                    role=Role.OUT_EXP,
                    elements=c,
                )
            )
        ports.append(
            Port(
                name="out_flags",
                dir=PortDir.OUT,
                width=c * GROUP_FLAG_BITS,
                role=Role.OUT_FLAGS,
                elements=c,
            )
        )
        return tuple(ports)

    def array_facts(self) -> dict[str, Any]:
        """The ``bitmod.array`` manifest entry: the array's stream protocol and timing."""
        pe = self.pe
        return {
            "rows": self.rows,
            "cols": self.cols,
            "a_layout": "row-major: element r*dot + l = activation row r, lane l",
            "w_layout": "column-major: element c*dot + l = output channel c, lane l",
            "meta_layout": "element c = output channel c",
            "out_layout": "element c of row out_row = output channel c",
            "cadence": "max over columns of cycles_per_weight[dtype]; unserved codes count "
            f"{pe.min_cycles}",
            "column_skew": self.skew,
            "in_flight_groups": IN_FLIGHT_GROUPS,
            "group_latency": {
                w.value: self.skew + w.cycles + pe.group_latency(w) + 1 for w in pe.weight_types
            },
            "stall_free_group_cycles": self.stall_free_group_cycles,
            "macs_per_cycle": self.macs_per_cycle,
        }

    def facts(self) -> DesignFacts:
        """The PE's formats and output frame, the shape, flags and the ``bitmod`` section.

        ``bitmod`` is the PE's section (``docs/bitmod.md``, "Manifest") with the array's
        metadata ports and an ``array`` entry (:meth:`array_facts`).
        """
        pe = self.pe
        bitmod = dict(pe.bitmod_facts())
        bitmod["metadata_ports"] = metadata_ports(self.ports())
        bitmod["array"] = self.array_facts()
        return DesignFacts(
            a_format=pe.act_format,
            w_format=W_FORMAT,
            accumulator=pe.accumulator_info(),
            array=ArrayInfo(rows=self.rows, cols=self.cols, pe_latency=pe.latency),
            flags=group_flag_bits(),
            reset=self.reset(),
            bitmod=bitmod,
        )

    def golden(self) -> BitmodPEConfig:
        """The PEs' arithmetic; the array model is :mod:`hwgen.golden.bitmod.array` over it."""
        return self.pe
