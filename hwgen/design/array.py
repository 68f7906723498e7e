"""``ArrayConfig``: an R x C output-stationary systolic array of identical MAC units.

Data flow, timing and ports: ``docs/hardware.md`` ("PE array") and :mod:`hwgen.rtl.array`.
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
from hwgen.design.mac import MacArithmetic, MacConfig
from hwgen.design.shape import SHAPE_KEYS, check_shape, pe_keys, row_bits, shape_options
from hwgen.golden import FLAG_BITS, FLAG_WIDTH, AccumulatorSpec

__all__ = ["MAX_DIM", "ArrayConfig"]

MAX_DIM = 64
"""Largest number of rows or columns (an R x C array instantiates R x C MAC units)."""


@dataclass(frozen=True, kw_only=True)
class ArrayConfig(DesignConfig):
    """A validated R x C output-stationary PE array of identical MAC units.

    Parameters
    ----------
    mac
        Configuration of every PE (formats, accumulator, overflow, stages, multiplier).
        ``mac.max_terms`` bounds the tile depth K.
    rows, cols
        Array shape, each in ``1 .. 64``.

    Raises
    ------
    HwgenError
        ``mac`` is not a ``MacConfig`` or a dimension is out of range.

    Notes
    -----
    What a drained row carries (``out_data``, :attr:`out_element_bits` per column) follows
    the MAC: the fixed-point accumulators (signed, value x 2**``accumulator.lsb_exp``); with
    ``mac.acc_format`` the PEs' float accumulator codes; with ``mac.out_format`` the
    accumulators rounded to that format (RNE, one converter per column after the row
    select, as the MAC's ``out``). ``out_flags`` exists when the PEs have ``flags``.
    """

    mac: MacConfig
    rows: int
    cols: int

    kind: ClassVar[str] = "array"

    def __post_init__(self) -> None:
        check_type("mac", self.mac, MacConfig)
        check_shape(self, MAX_DIM)
        # The float accumulator options and out_format are the MAC's own (MacConfig
        # validates them, including that they exclude each other): every PE is that MAC.

    # ----------------------------------------------------------------- derived facts
    @property
    def a_format(self) -> str:
        """Registry name of the activation format."""
        return self.mac.a_format

    @property
    def w_format(self) -> str:
        """Registry name of the weight format."""
        return self.mac.w_format

    @property
    def accumulator(self) -> AccumulatorSpec:
        """The accumulator every PE builds."""
        return self.mac.accumulator

    @property
    def has_flags(self) -> bool:
        """Whether the array has ``out_flags`` (the PEs have ``flags``)."""
        return self.mac.has_flags

    @property
    def out_element_bits(self) -> int:
        """Bits of one column of ``out_data``: the ``out_format``'s, else the accumulator's."""
        out = self.mac.out
        return out.bits if out is not None else self.mac.accumulator.bits

    @property
    def out_signed(self) -> bool:
        """Whether ``out_data`` elements are two's complement (a fixed-point accumulator)."""
        return self.mac.acc_format is None and self.mac.out is None

    @property
    def row_bits(self) -> int:
        """Width of ``out_row``: ``ceil(log2(rows))``, at least 1."""
        return row_bits(self.rows)

    @property
    def skew(self) -> int:
        """Cycles between PE ``(0, 0)`` and PE ``(R-1, C-1)`` seeing the same beat."""
        return self.rows + self.cols - 2

    @property
    def latency(self) -> int:
        """Rising edges from the edge accepting a tile's last beat to ``out_valid`` (row 0).

        Holds when the output buffer is free: skew, then the MAC latency, then one edge to
        copy the accumulators into the output buffer.
        """
        return self.skew + self.mac.latency + 1

    @property
    def name(self) -> str:
        """Stable module name, e.g. ``pe4x4_fp8_e4m3_x_int8_acc32_s0``."""
        return f"pe{self.rows}x{self.cols}_{self.mac.name.removeprefix('mac_')}"

    @classmethod
    def options(cls) -> tuple[OptionSpec, ...]:
        """``rows``, ``cols`` and every MAC option."""
        return (
            *shape_options(MAX_DIM),
            *MacConfig.options(),
        )

    # ----------------------------------------------------------------- protocol
    def ports(self) -> tuple[Port, ...]:
        """Stream ports of ``docs/hardware.md``; ``out_flags`` only when the PEs have flags."""
        a, w = self.mac.a.bits, self.mac.w.bits
        acc = self.out_element_bits
        r, c = self.rows, self.cols
        ports = [
            *clock_and_reset(),
            Port(name="a", dir=PortDir.IN, width=r * a, role=Role.A, elements=r),
            Port(name="w", dir=PortDir.IN, width=c * w, role=Role.W, elements=c),
            Port(name="valid", dir=PortDir.IN, width=1, role=Role.VALID),
            Port(name="ready", dir=PortDir.OUT, width=1, role=Role.READY),
            Port(name="last", dir=PortDir.IN, width=1, role=Role.LAST),
            Port(name="out_data", dir=PortDir.OUT, width=c * acc, role=Role.OUT_DATA, elements=c),
            Port(name="out_row", dir=PortDir.OUT, width=self.row_bits, role=Role.OUT_ROW),
            Port(name="out_valid", dir=PortDir.OUT, width=1, role=Role.OUT_VALID),
            Port(name="out_ready", dir=PortDir.IN, width=1, role=Role.OUT_READY),
        ]
        if self.has_flags:
            ports.append(
                Port(
                    name="out_flags",
                    dir=PortDir.OUT,
                    width=c * FLAG_WIDTH,
                    role=Role.OUT_FLAGS,
                    elements=c,
                )
            )
        return tuple(ports)

    def facts(self) -> DesignFacts:
        """The PE's formats, accumulator and output conversion, the shape, the PE latency."""
        return DesignFacts(
            a_format=self.a_format,
            w_format=self.w_format,
            accumulator=self.mac.accumulator_info(),
            output=self.mac.facts().output,
            array=ArrayInfo(rows=self.rows, cols=self.cols, pe_latency=self.mac.latency),
            flags=dict(FLAG_BITS) if self.has_flags else None,
            reset=self.reset(),
            pipeline=self.mac.pipeline_info(),
        )

    def golden(self) -> MacArithmetic:
        """The PEs' arithmetic (a tile result is the MAC trace over its k-steps)."""
        return self.mac.golden()

    # ----------------------------------------------------------------- (de)serialise
    def to_dict(self) -> dict[str, Any]:
        """JSON-able flat dict: ``rows``, ``cols`` and every ``MacConfig`` key."""
        return {"rows": self.rows, "cols": self.cols, **self.mac.to_dict()}

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """Keys :meth:`from_dict` accepts."""
        return (*SHAPE_KEYS, *MacConfig.keys())

    @classmethod
    def allowed_keys(cls) -> tuple[str, ...]:
        """Alias of :meth:`keys`."""
        return cls.keys()

    @classmethod
    def required_keys(cls) -> tuple[str, ...]:
        """``rows``, ``cols`` and the MAC's required keys."""
        return (*SHAPE_KEYS, *MacConfig.required_keys())

    @classmethod
    def _build(cls, d: Mapping[str, Any]) -> Self:
        mac = MacConfig.from_dict(pe_keys(d))
        return cls(mac=mac, rows=d["rows"], cols=d["cols"])
