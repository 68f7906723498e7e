"""Output-stationary R x C systolic PE array built from MAC units.

Data flow (``docs/hardware.md``, section "PE array"): each accepted beat carries one column
of the activation tile ``A[:, k]`` (R codes on ``a``) and one row of the weight tile
``W[k, :]`` (C codes on ``w``). Activations travel right along the rows, weights travel
down the columns, one PE per clock; the input skew that lines them up (row ``i`` late by
``i`` cycles, column ``j`` late by ``j``) is built in, so the user presents unskewed beats.
PE ``(i, j)`` therefore sees step ``k`` of the tile ``i + j`` cycles after it was accepted
and accumulates ``Y[i, j] = sum_k A[i, k] * W[k, j]`` in place (output stationary).

Control (valid, first-beat-of-tile, last) travels in one shared delay line of depth
``R + C - 2 + latency`` instead of a copy per PE: PE ``(i, j)`` taps stage ``i + j``. The
first beat of a tile reaches each PE as ``valid & clear``, which restarts its accumulator
without a dead cycle, so tiles stream back to back.

Results are double-buffered: ``latency`` cycles after its last product, each PE copies its
accumulator (and flags) into its own output register, skewed like the data. Once the last
PE has copied, ``out_valid`` rises and the rows drain ``0 .. R-1`` under
``out_valid``/``out_ready`` while the next tile already streams in. ``ready`` falls only for
the *last* beat of a tile while the previous tile still occupies the output buffer (in
flight or not fully drained), because accepting it would overwrite undrained results;
every other beat is accepted at once. With ``out_ready`` held high a tile of
``K >= latency + 2R + C`` beats never sees a stall.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amaranth.hdl import Cat, Module, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen.errors import HwgenError
from hwgen.rtl.config import MacConfig
from hwgen.rtl.flags import FLAG_BITS

MAX_DIM = 64
"""Largest number of rows or columns (an R x C array instantiates R x C MAC units)."""

_ARRAY_KEYS = ("rows", "cols")


def _check_dim(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HwgenError(f"{name} must be an int, not {type(value).__name__}")
    if value < 1:
        raise HwgenError(f"{name} must be >= 1, not {value}")
    if value > MAX_DIM:
        raise HwgenError(f"{name} must be <= {MAX_DIM}, not {value}")
    return value


@dataclass(frozen=True, kw_only=True)
class ArrayConfig:
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
        ``mac`` is not a ``MacConfig``, a dimension is out of range, or ``mac`` asks for an
        ``out_format`` (arrays deliver the fixed-point accumulators).
    """

    mac: MacConfig
    rows: int
    cols: int

    def __post_init__(self) -> None:
        if not isinstance(self.mac, MacConfig):
            raise HwgenError(f"mac must be a MacConfig, not {type(self.mac).__name__}")
        _check_dim("rows", self.rows)
        _check_dim("cols", self.cols)
        if self.mac.out_format is not None:
            raise HwgenError(
                f"out_format={self.mac.out_format!r} is not supported for arrays; "
                "arrays deliver accumulators (leave out_format unset)"
            )

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
    def accumulator(self) -> Any:
        """The accumulator every PE builds (``AccumulatorSpec``)."""
        return self.mac.accumulator

    @property
    def row_bits(self) -> int:
        """Width of ``out_row``: ``ceil(log2(rows))``, at least 1."""
        return max(1, (self.rows - 1).bit_length())

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
    def out_latency(self) -> int:
        """Arrays deliver accumulators, so there is no float conversion stage."""
        return 0

    @property
    def name(self) -> str:
        """Stable module name, e.g. ``pe4x4_fp8_e4m3_x_int8_acc32_s0``."""
        return f"pe{self.rows}x{self.cols}_{self.mac.name.removeprefix('mac_')}"

    # ----------------------------------------------------------------- (de)serialise
    def to_dict(self) -> dict[str, Any]:
        """JSON-able flat dict: ``rows``, ``cols`` and every ``MacConfig`` key."""
        return {"rows": self.rows, "cols": self.cols, **self.mac.to_dict()}

    @classmethod
    def allowed_keys(cls) -> tuple[str, ...]:
        """Keys :meth:`from_dict` accepts."""
        return (*_ARRAY_KEYS, *MacConfig.keys())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArrayConfig:
        """Rebuild from :meth:`to_dict` output.

        Raises
        ------
        HwgenError
            Unknown keys (the message lists the allowed ones), missing ``rows``/``cols``, or
            any invalid value.
        """
        allowed = cls.allowed_keys()
        unknown = sorted(set(d) - set(allowed))
        if unknown:
            raise HwgenError(
                f"unknown array config keys: {', '.join(unknown)}; allowed: {', '.join(allowed)}"
            )
        missing = [k for k in _ARRAY_KEYS if k not in d]
        if missing:
            raise HwgenError(f"array config is missing keys: {', '.join(missing)}")
        mac = MacConfig.from_dict({k: v for k, v in d.items() if k not in _ARRAY_KEYS})
        return cls(mac=mac, rows=d["rows"], cols=d["cols"])

    def create(self) -> PEArray:
        """Build the Amaranth component."""
        return PEArray(config=self)


def _delay_line(m: Module, x: Value, n: int, name: str) -> list[Value]:
    """``[x, x delayed 1 cycle, ..., x delayed n cycles]`` (n registers in the sync domain)."""
    taps = [x]
    for k in range(1, n + 1):
        r = Signal(len(x), name=f"{name}_d{k}")
        m.d.sync += r.eq(taps[-1])
        taps.append(r)
    return taps


class PEArray(wiring.Component):
    """R x C output-stationary systolic array of ``MacUnit`` PEs (see module docstring).

    Ports (all synchronous to ``clk``; Amaranth adds ``clk`` and a synchronous active-high
    ``rst``); the role of every port equals its name (:meth:`port_roles`):

    ``a`` (in, R x a.bits)
        one column of the activation tile, row ``i`` in bits ``[i*a.bits, (i+1)*a.bits)``.
    ``w`` (in, C x w.bits)
        one row of the weight tile, column ``j`` in bits ``[j*w.bits, (j+1)*w.bits)``.
    ``valid``, ``ready``, ``last``
        a beat is accepted when ``valid & ready``; ``last`` marks the tile's final k-step.
        ``ready`` depends combinationally on ``last`` (only a last beat can be refused).
    ``out_data`` (out, C x acc bits), ``out_row``, ``out_valid``, ``out_ready``
        one result row per handshake, rows ``0 .. R-1`` in order; column ``j`` in bits
        ``[j*acc, (j+1)*acc)``, signed, value x 2**accumulator.lsb_exp.
    ``out_flags`` (out, C x 3)
        the PEs' sticky special-value flags per column; only when the MAC has ``flags``.

    Parameters
    ----------
    config
        The validated array configuration.
    """

    def __init__(self, *, config: ArrayConfig) -> None:
        self.config = config
        mac = config.mac
        self._a_bits = mac.a.bits
        self._w_bits = mac.w.bits
        self._acc_bits = int(mac.accumulator.bits)
        self._flag_bits = len(FLAG_BITS) if mac.has_flags else 0
        members: dict[str, Any] = {
            "a": In(config.rows * self._a_bits),
            "w": In(config.cols * self._w_bits),
            "valid": In(1),
            "ready": Out(1),
            "last": In(1),
            "out_data": Out(config.cols * self._acc_bits),
            "out_row": Out(config.row_bits),
            "out_valid": Out(1),
            "out_ready": In(1),
        }
        if self._flag_bits:
            members["out_flags"] = Out(config.cols * self._flag_bits)
        super().__init__(members)

    def port_roles(self) -> dict[str, str]:
        """Role of every signature port (the role names of ``docs/hardware.md``)."""
        return {name: name for name in self.signature.members}

    def elaborate(self, platform: Any) -> Module:
        cfg = self.config
        rows, cols = cfg.rows, cfg.cols
        lat = cfg.mac.latency
        m = Module()

        # --- control: accepted beat, first beat of a tile, last beat of a tile
        busy = Signal()  # a tile's last beat is accepted and its rows are not all drained
        first = Signal(init=1)  # the next accepted beat starts a new tile
        accept = Signal()
        m.d.comb += [
            self.ready.eq(~self.last | ~busy),
            accept.eq(self.valid & self.ready),
        ]
        with m.If(accept):
            m.d.sync += first.eq(self.last)

        depth = cfg.skew + lat
        valid_d = [Signal(name="v_0")]
        first_d = [Signal(name="f_0")]
        last_d = [Signal(name="l_0")]
        m.d.comb += [
            valid_d[0].eq(accept),
            first_d[0].eq(accept & first),
            last_d[0].eq(accept & self.last),
        ]
        for k in range(1, depth + 1):
            # valid/clear are only needed up to the farthest PE; last goes `lat` further.
            if k <= cfg.skew:
                valid_d.append(Signal(name=f"v_{k}"))
                first_d.append(Signal(name=f"f_{k}"))
                m.d.sync += [valid_d[k].eq(valid_d[k - 1]), first_d[k].eq(first_d[k - 1])]
            last_d.append(Signal(name=f"l_{k}"))
            m.d.sync += last_d[k].eq(last_d[k - 1])

        # --- data: activation row i and weight column j reach PE (i, j) after i + j
        # registers: the input skew and the PE-to-PE hops are one delay line per row/column.
        ab, wb, accb, fb = self._a_bits, self._w_bits, self._acc_bits, self._flag_bits
        a_taps = [
            _delay_line(m, self.a[i * ab : (i + 1) * ab], i + cols - 1, f"a_{i}")
            for i in range(rows)
        ]
        w_taps = [
            _delay_line(m, self.w[j * wb : (j + 1) * wb], j + rows - 1, f"w_{j}")
            for j in range(cols)
        ]

        # --- PEs and their output registers (the second half of the double buffer)
        res = [[Signal(accb, name=f"res_{i}_{j}") for j in range(cols)] for i in range(rows)]
        # Zero-width (no hardware) when the MAC has no flags.
        flg = [[Signal(fb, name=f"resf_{i}_{j}") for j in range(cols)] for i in range(rows)]
        for i in range(rows):
            for j in range(cols):
                pe = cfg.mac.create()
                m.submodules[f"pe_{i}_{j}"] = pe
                m.d.comb += [
                    pe.a.eq(a_taps[i][i + j]),
                    pe.w.eq(w_taps[j][i + j]),
                    pe.valid.eq(valid_d[i + j]),
                    pe.clear.eq(first_d[i + j]),
                ]
                with m.If(last_d[i + j + lat]):
                    m.d.sync += res[i][j].eq(pe.acc)
                    if fb:
                        m.d.sync += flg[i][j].eq(pe.flags)

        # --- drain: rows 0..R-1 under out_valid/out_ready
        full = Signal()
        row = Signal(cfg.row_bits)
        with m.If(last_d[0]):
            m.d.sync += busy.eq(1)
        with m.If(last_d[depth]):
            m.d.sync += full.eq(1)
        with m.If(full & self.out_ready):
            with m.If(row == rows - 1):
                m.d.sync += [row.eq(0), full.eq(0), busy.eq(0)]
            with m.Else():
                m.d.sync += row.eq(row + 1)
        m.d.comb += [self.out_valid.eq(full), self.out_row.eq(row)]
        with m.Switch(row):
            for i in range(rows):
                with m.Case(i):
                    m.d.comb += self.out_data.eq(Cat(*res[i]))
                    if fb:
                        m.d.comb += self.out_flags.eq(Cat(*flg[i]))
        return m
