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

The PEs are the MAC's own units (:class:`hwgen.rtl.mac.MacUnit`), so a float accumulator
(``acc_format``) is the MAC's :class:`~hwgen.rtl.common.fpacc.FloatAccumulator` in every
PE and the buffers hold its codes. With ``out_format`` the PEs are built without their
``out`` converter: the buffers keep the accumulators and one
:class:`~hwgen.rtl.common.fpconvert.FloatConverter` per column rounds the selected row
(C converters instead of R x C; the row mux is in front of them).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from amaranth.hdl import Cat, Module, Signal
from amaranth.lib import wiring

from hwgen._validate import check_type
from hwgen.design.array import ArrayConfig
from hwgen.golden import FLAG_WIDTH
from hwgen.rtl.common.fpconvert import FloatConverter
from hwgen.rtl.common.util import delay_line, signature_of


class PEArray(wiring.Component):
    """R x C output-stationary systolic array of ``MacUnit`` PEs (see module docstring).

    Ports (all synchronous to ``clk``; Amaranth adds ``clk`` and a synchronous active-high
    ``rst``), the signature of ``config.ports()``:

    ``a`` (in, R x a.bits)
        one column of the activation tile, row ``i`` in bits ``[i*a.bits, (i+1)*a.bits)``.
    ``w`` (in, C x w.bits)
        one row of the weight tile, column ``j`` in bits ``[j*w.bits, (j+1)*w.bits)``.
    ``valid``, ``ready``, ``last``
        a beat is accepted when ``valid & ready``; ``last`` marks the tile's final k-step.
        ``ready`` depends combinationally on ``last`` (only a last beat can be refused).
    ``out_data`` (out, C x ``config.out_element_bits``), ``out_row``, ``out_valid``, ``out_ready``
        one result row per handshake, rows ``0 .. R-1`` in order; column ``j`` in bits
        ``[j*n, (j+1)*n)``: the accumulator (signed, value x 2**accumulator.lsb_exp), the
        float accumulator's code (``acc_format``) or the accumulator rounded to
        ``out_format`` (RNE; NaN / inf from the flags as the MAC's ``out``).
    ``out_flags`` (out, C x FLAG_WIDTH)
        the PEs' sticky special-value flags per column; only when the MAC has ``flags``.

    Parameters
    ----------
    config
        The validated array configuration.
    """

    def __init__(self, *, config: ArrayConfig) -> None:
        check_type("config", config, ArrayConfig)
        self.config = config
        mac = config.mac
        self._a_bits = mac.a.bits
        self._w_bits = mac.w.bits
        self._acc_bits = int(mac.accumulator.bits)
        self._flag_bits = FLAG_WIDTH if mac.has_flags else 0
        super().__init__(signature_of(config.ports()))

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
            delay_line(m, self.a[i * ab : (i + 1) * ab], i + cols - 1, f"a_{i}")
            for i in range(rows)
        ]
        w_taps = [
            delay_line(m, self.w[j * wb : (j + 1) * wb], j + rows - 1, f"w_{j}")
            for j in range(cols)
        ]

        # --- PEs and their output registers (the second half of the double buffer)
        res = [[Signal(accb, name=f"res_{i}_{j}") for j in range(cols)] for i in range(rows)]
        # Zero-width (no hardware) when the MAC has no flags.
        flg = [[Signal(fb, name=f"resf_{i}_{j}") for j in range(cols)] for i in range(rows)]
        # With out_format the conversion sits after the row select (below), not in the PEs.
        pe_cfg = cfg.mac if cfg.mac.out is None else replace(cfg.mac, out_format=None)
        for i in range(rows):
            for j in range(cols):
                pe = pe_cfg.create()
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
        out_fmt = cfg.mac.out
        # Without out_format the selected row drives out_data directly.
        sel = self.out_data if out_fmt is None else Signal(cols * accb, name="sel_acc")
        with m.Switch(row):
            for i in range(rows):
                with m.Case(i):
                    m.d.comb += sel.eq(Cat(*res[i]))
                    if fb:
                        m.d.comb += self.out_flags.eq(Cat(*flg[i]))
        if out_fmt is not None:
            spec = cfg.mac.accumulator
            codes = []
            for j in range(cols):
                conv = FloatConverter(
                    bits=accb, lsb_exp=spec.lsb_exp, fmt=out_fmt, with_flags=bool(fb)
                )
                m.submodules[f"conv_{j}"] = conv
                m.d.comb += conv.acc.eq(sel[j * accb : (j + 1) * accb])
                if fb:
                    m.d.comb += conv.flags.eq(self.out_flags[j * fb : (j + 1) * fb])
                codes.append(conv.code)
            m.d.comb += self.out_data.eq(Cat(*codes))
        return m
