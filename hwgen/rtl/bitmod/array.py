"""R x C output-stationary array of BitMoD PEs (``docs/hardware.md``, "BitMoD PE array").

Built on the PE's public ports only (:class:`~hwgen.rtl.bitmod.BitmodPE` through
``config.pe.create()``)::

    a (R rows x dot lanes) --> row i: PE(i,0) -> reg -> PE(i,1) -> reg -> ...   (systolic)
    w, metadata, sv port   --> column j: j registers, then broadcast to PE(0..R-1, j)
    issue unit             --> one cadence for all columns: max cycles over the columns
    column j               --> hold registers (beat, metadata) --> PE valid/ready handshakes
    PE outputs             --> per column, a 2-slot result buffer --> rows 0..R-1 drained

Every PE of column ``j`` sees the same beat, metadata and handshake ``j`` cycles after the
array took it, so the R PEs of a column run in lockstep and their results appear in the
same cycle. The PE takes a beat (``ready``) in the beat's last term step and its metadata
while no group is held or when the held group's last beat is taken (``docs/bitmod.md``,
"Ports and timing"), so each column has hold registers that keep a beat under ``valid``
and a metadata word under ``meta_valid`` until the column's PEs take them (row 0's
handshake stands for the column). The issue unit offers one beat per ``cadence`` =
max over the columns of the group's datatype ``cycles``; a PE with ``out_ready`` high
(tied here) never stalls and takes a beat ``cycles`` cycles after it is offered, so each
hold register is free again before the next beat reaches it.

Results: the PEs' ``out_ready`` is tied high; each column's results go into that column's
buffer slot (two slots per PE), captured on the PEs' ``out_valid``. When every column
holds the oldest array group, rows ``0 .. R-1`` drain under ``out_valid`` /
``out_ready``. At most :data:`~hwgen.design.bitmod_array.IN_FLIGHT_GROUPS` array groups
are between their last beat and their drain: the last beat of a third one is refused
(``ready`` low) until the oldest group is drained, so results are never lost.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, Value
from amaranth.lib import wiring

from hwgen._validate import check_type
from hwgen.design.bitmod_array import IN_FLIGHT_GROUPS, BitmodArrayConfig
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
from hwgen.rtl.common.util import delay_line, signature_of

__all__ = ["BitmodArray"]


class BitmodArray(wiring.Component):
    """R x C output-stationary array of BitMoD PEs (see the module docstring).

    Ports (Amaranth adds ``clk`` and a synchronous active-high ``rst``): the signature of
    ``config.ports()``, documented in ``docs/hardware.md``.

    Parameters
    ----------
    config
        The validated array configuration.
    """

    def __init__(self, *, config: BitmodArrayConfig) -> None:
        check_type("config", config, BitmodArrayConfig)
        self.config = config
        super().__init__(signature_of(config.ports()))

    def _cadence(self, m: Module, dtypes: list[Value]) -> Signal:
        """Max over the columns of the cycles per weight of each column's datatype code."""
        pe = self.config.pe
        width = max(2, pe.max_cycles.bit_length())
        per_col = []
        for j, code in enumerate(dtypes):
            c = Signal(width, name=f"cyc_{j}")
            with m.Switch(code):
                for v in range(1 << DTYPE_BITS):
                    with m.Case(v):
                        m.d.comb += c.eq(served_cycles(pe, v))
            per_col.append(c)
        while len(per_col) > 1:
            nxt = []
            for k in range(0, len(per_col) - 1, 2):
                s = Signal(width, name=f"cmax_{len(per_col)}_{k}")
                a, b = per_col[k], per_col[k + 1]
                m.d.comb += s.eq(Mux(a > b, a, b))
                nxt.append(s)
            if len(per_col) % 2:
                nxt.append(per_col[-1])
            per_col = nxt
        return per_col[0]

    def elaborate(self, platform: object) -> Module:
        cfg = self.config
        pe_cfg = cfg.pe
        rows, cols, dot = cfg.rows, cfg.cols, pe_cfg.dot
        beats = pe_cfg.beats_per_group
        narrow = pe_cfg.mode is PEMode.NARROW
        m = Module()

        # ------------------------------------------------------------ issue unit
        held = Signal()  # a group's metadata is issued and its last beat is not
        cad = Signal(max(2, pe_cfg.max_cycles.bit_length()))
        cool = Signal.like(cad)  # cycles until the next beat may be issued
        bcnt = Signal(range(max(2, beats)))
        inflight = Signal(range(IN_FLIGHT_GROUPS + 1))
        last_beat = Signal()
        take = Signal()
        take_last = Signal()
        meta_take = Signal()
        drained = Signal()  # the oldest group's last row is taken this cycle
        m.d.comb += [
            last_beat.eq(bcnt == beats - 1),
            self.ready.eq(held & (cool == 0) & (~last_beat | (inflight < IN_FLIGHT_GROUPS))),
            take.eq(self.valid & self.ready),
            take_last.eq(take & last_beat),
            self.meta_ready.eq(~held | take_last),
            meta_take.eq(self.meta_valid & self.meta_ready),
        ]
        dtypes_in = [self.meta_dtype[j * DTYPE_BITS : (j + 1) * DTYPE_BITS] for j in range(cols)]
        new_cad = self._cadence(m, dtypes_in)
        with m.If(meta_take):
            m.d.sync += [held.eq(1), cad.eq(new_cad)]
        with m.Elif(take_last):
            m.d.sync += held.eq(0)
        with m.If(take):
            m.d.sync += [cool.eq(cad - 1), bcnt.eq(Mux(last_beat, 0, bcnt + 1))]
        with m.Elif(cool != 0):
            m.d.sync += cool.eq(cool - 1)
        m.d.sync += inflight.eq(inflight + take_last - drained)

        # ------------------------------------------------------------ column pipes
        # The issue unit's take / meta pulses and the sv writes travel with the data; tap
        # ``j`` feeds column ``j``'s hold registers, tap ``j + 1`` its sv writes (so a write
        # keeps its order against the beats around it).
        ctrl_taps = delay_line(m, Cat(take, meta_take), cols - 1, "ctrl")
        sv_taps = delay_line(m, Cat(self.sv_we, self.sv_addr, self.sv_data), cols, "sv")
        wb = dot * WEIGHT_CODE_BITS
        ab = dot * pe_cfg.act_bits
        col_in = [self.w[j * wb : (j + 1) * wb] for j in range(cols)]
        meta_in = [
            Cat(
                self.meta_dtype[j * DTYPE_BITS : (j + 1) * DTYPE_BITS],
                self.meta_sel[j * SEL_BITS : (j + 1) * SEL_BITS],
                self.meta_scale[j * SCALE_BITS : (j + 1) * SCALE_BITS],
            )
            for j in range(cols)
        ]
        col_taps = [delay_line(m, col_in[j], j, f"col{j}")[j] for j in range(cols)]
        meta_taps = [delay_line(m, meta_in[j], j, f"meta{j}")[j] for j in range(cols)]
        row_taps = [
            delay_line(m, self.a[i * ab : (i + 1) * ab], cols - 1, f"row{i}") for i in range(rows)
        ]

        # ------------------------------------------------------------ PEs + result buffer
        mb, eb, fb = pe_cfg.out_man_bits, pe_cfg.out_exp_bits if narrow else 0, GROUP_FLAG_BITS
        rb = mb + eb + fb
        res = [
            [[Signal(rb, name=f"res{s}_{i}_{j}") for j in range(cols)] for i in range(rows)]
            for s in range(IN_FLIGHT_GROUPS)
        ]
        cnt = [Signal(range(IN_FLIGHT_GROUPS + 1), name=f"cnt_{j}") for j in range(cols)]
        wslot = [Signal(name=f"wslot_{j}") for j in range(cols)]
        got = [Signal(name=f"got_{j}") for j in range(cols)]
        for j in range(cols):
            c = ctrl_taps[j]
            t_valid, t_meta = c[0], c[1]
            sv = sv_taps[j + 1]
            t_sv_we = sv[0]
            t_sv_addr = sv[1 : 1 + SEL_BITS]
            t_sv_data = sv[1 + SEL_BITS : 1 + SEL_BITS + SV_FIELD_BITS]
            # Hold registers: the PE takes a beat (ready) in its last term step and its
            # metadata when its previous group's last beat is taken, so each column holds
            # what reaches it under valid / meta_valid until its PEs take it (the PEs of a
            # column run in lockstep: row 0's handshake stands for all). The cadence keeps
            # a hold register free before the next pulse reaches it.
            h_valid = Signal(name=f"hvalid_{j}")
            h_meta = Signal(name=f"hmeta_{j}")
            h_w = Signal(wb, name=f"hw_{j}")
            h_md = Signal(len(meta_in[j]), name=f"hmd_{j}")
            h_a = [Signal(ab, name=f"ha_{i}_{j}") for i in range(rows)]
            pe_take = Signal(name=f"petake_{j}")
            pe_meta_take = Signal(name=f"pemetatake_{j}")
            with m.If(pe_take):
                m.d.sync += h_valid.eq(0)
            with m.If(t_valid):
                m.d.sync += [h_valid.eq(1), h_w.eq(col_taps[j])]
                m.d.sync += [h_a[i].eq(row_taps[i][j]) for i in range(rows)]
            with m.If(pe_meta_take):
                m.d.sync += h_meta.eq(0)
            with m.If(t_meta):
                m.d.sync += [h_meta.eq(1), h_md.eq(meta_taps[j])]
            o = 0
            t_dtype = h_md[o : o + DTYPE_BITS]
            o += DTYPE_BITS
            t_sel = h_md[o : o + SEL_BITS]
            o += SEL_BITS
            t_scale = h_md[o : o + SCALE_BITS]
            for i in range(rows):
                pe = pe_cfg.create()
                m.submodules[f"pe_{i}_{j}"] = pe
                m.d.comb += [
                    pe.meta_valid.eq(h_meta),
                    pe.meta_dtype.eq(t_dtype),
                    pe.meta_sel.eq(t_sel),
                    pe.meta_scale.eq(t_scale),
                    pe.valid.eq(h_valid),
                    pe.w.eq(h_w),
                    pe.a.eq(h_a[i]),
                    pe.sv_we.eq(t_sv_we),
                    pe.sv_addr.eq(t_sv_addr),
                    pe.sv_data.eq(t_sv_data),
                    pe.out_ready.eq(1),
                ]
                if i == 0:
                    m.d.comb += [
                        pe_take.eq(h_valid & pe.ready),
                        pe_meta_take.eq(h_meta & pe.meta_ready),
                    ]
                word = (
                    Cat(pe.out_man, pe.out_exp, pe.out_flags)
                    if narrow
                    else Cat(pe.out_man, pe.out_flags)
                )
                if i == 0:
                    # The column's PEs run in lockstep: row 0's out_valid stands for all.
                    m.d.comb += got[j].eq(pe.out_valid)
                with m.If(got[j]):
                    for s in range(IN_FLIGHT_GROUPS):
                        with m.If(wslot[j] == s):
                            m.d.sync += res[s][i][j].eq(word)
            with m.If(got[j]):
                m.d.sync += wslot[j].eq(~wslot[j])

        # ------------------------------------------------------------ drain
        head = Signal()
        row = Signal(cfg.row_bits)
        all_have = Signal()
        m.d.comb += all_have.eq(Cat(*(c != 0 for c in cnt)).all())
        out_take = Signal()
        m.d.comb += [
            self.out_valid.eq(all_have),
            self.out_row.eq(row),
            out_take.eq(all_have & self.out_ready),
            drained.eq(out_take & (row == rows - 1)),
        ]
        for j in range(cols):
            m.d.sync += cnt[j].eq(cnt[j] + got[j] - drained)
        with m.If(out_take):
            m.d.sync += row.eq(Mux(row == rows - 1, 0, row + 1))
        with m.If(drained):
            m.d.sync += head.eq(~head)
        sel_row = [Signal(rb * cols, name=f"outrow_{i}") for i in range(rows)]
        for i in range(rows):
            m.d.comb += sel_row[i].eq(Mux(head, Cat(*res[1][i]), Cat(*res[0][i])))
        cur = Signal(rb * cols)
        with m.Switch(row):
            for i in range(rows):
                with m.Case(i):
                    m.d.comb += cur.eq(sel_row[i])
        mans, exps, flags = [], [], []
        for j in range(cols):
            word = cur[j * rb : (j + 1) * rb]
            mans.append(word[:mb])
            if narrow:
                exps.append(word[mb : mb + eb])
            flags.append(word[mb + eb : rb])
        m.d.comb += [self.out_man.eq(Cat(*mans)), self.out_flags.eq(Cat(*flags))]
        if narrow:
            m.d.comb += self.out_exp.eq(Cat(*exps))
        return m
