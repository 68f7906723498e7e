"""The BitMoD PE: stream front end, term encoder, datapath, group accumulator, dequantizer.

Datapath per cycle (arithmetic: :mod:`hwgen.golden.bitmod.pe`, ports and timing:
``docs/bitmod.md``)::

    operand regs (w, a, group meta) --TermEncoder(step)--> terms
    activation Decoder --> |sig|, exp, specials
    exponent match (x = exp + t_exp, max tree, deltas) --> lane shift --> adder tree
    --[cycle-sum register]--> group accumulator (exact fixed point | narrow float)
    --(group's last cycle)--> bit-serial dequantizer (8 cycles) --> output register

A single stall (``advance`` low) freezes the front end and the cycle-sum register while a
finished group waits for the dequantizer; with groups of at least ``min_group_size`` and
``out_ready`` high it never happens.
"""

from __future__ import annotations

from typing import Any

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen.errors import HwgenError
from hwgen.golden.bitmod.config import SCALE_BITS, AccRounding, BitmodPEConfig, PEMode
from hwgen.rtl.bitmod.encoder import CODE_BITS, STEP_BITS, SV_BITS, TermEncoder, special_to_field
from hwgen.rtl.common.decoder import Decoder
from hwgen.rtl.common.util import shift_left

__all__ = ["FLAG_BITS", "BitmodPE"]

#: Width of ``out_flags`` (bit positions: :class:`GroupFlag`).
FLAG_BITS = 4


def _max(m: Module, values: list[Value], width: int, name: str) -> Value:
    """Balanced max tree of unsigned values."""
    level = 0
    while len(values) > 1:
        nxt = []
        for j in range(0, len(values) - 1, 2):
            s = Signal(width, name=f"{name}_{level}_{j // 2}")
            a, b = values[j], values[j + 1]
            m.d.comb += s.eq(Mux(a > b, a, b))
            nxt.append(s)
        if len(values) % 2:
            nxt.append(values[-1])
        values = nxt
        level += 1
    return values[0]


def _sum(m: Module, values: list[Value], width: int, name: str) -> Value:
    """Balanced adder tree of signed values into ``width`` bits (exact by sizing)."""
    level = 0
    while len(values) > 1:
        nxt = []
        for j in range(0, len(values) - 1, 2):
            s = Signal(signed(width), name=f"{name}_{level}_{j // 2}")
            m.d.comb += s.eq(values[j] + values[j + 1])
            nxt.append(s)
        if len(values) % 2:
            nxt.append(values[-1])
        values = nxt
        level += 1
    return values[0]


def _signed_bits(m: Module, r: Value, name: str) -> Signal:
    """Two's complement width of the signed value ``r`` (a leading-one detector)."""
    n = len(r)
    x = Signal(n - 1, name=f"{name}_x")
    m.d.comb += x.eq(r[: n - 1] ^ r[n - 1].replicate(n - 1))
    out = Signal(range(n + 1), name=f"{name}_bits", init=1)
    for b in range(n - 1):  # later (higher) bits win
        with m.If(x[b]):
            m.d.comb += out.eq(b + 2)
    return out


class BitmodPE(wiring.Component):
    """One BitMoD PE built from a :class:`~hwgen.golden.bitmod.config.BitmodPEConfig`.

    Ports (Amaranth adds ``clk`` and a synchronous active-high ``rst``)
    ------------------------------------------------------------------
    meta_valid, meta_ready, meta_dtype(3), meta_sel(2), meta_scale(8)
        Group metadata stream: one beat per group, taken before the group's first data
        beat (it may be taken in the cycle the previous group's last beat is taken).
    valid, ready, w(dot x 8), a(dot x act bits)
        Data stream: one beat = ``dot`` weight codes + ``dot`` activations; a group is
        ``group_size / dot`` beats. ``ready`` is high once per ``cycles`` of the group's
        datatype; it depends combinationally on ``out_ready`` (through the stall).
    sv_we, sv_addr(2), sv_data(6)
        Special-value register write port (sign-magnitude, code units).
    out_valid, out_ready, out_man, out_exp, out_flags(4)
        Group results, one per handshake, in group order. ``out_exp`` only in narrow mode.
    """

    def __init__(self, *, config: BitmodPEConfig) -> None:
        if not isinstance(config, BitmodPEConfig):
            raise HwgenError(f"config must be a BitmodPEConfig, not {type(config).__name__}")
        self.config = config
        d = config.dot
        members: dict[str, Any] = {
            "meta_valid": In(1),
            "meta_ready": Out(1),
            "meta_dtype": In(3),
            "meta_sel": In(2),
            "meta_scale": In(SCALE_BITS),
            "valid": In(1),
            "ready": Out(1),
            "w": In(d * CODE_BITS),
            "a": In(d * config.act_bits),
            "sv_we": In(1),
            "sv_addr": In(2),
            "sv_data": In(SV_BITS),
            "out_valid": Out(1),
            "out_ready": In(1),
            "out_man": Out(signed(config.out_man_bits)),
        }
        if config.mode is PEMode.NARROW:
            members["out_exp"] = Out(unsigned(config.out_exp_bits))
        members["out_flags"] = Out(FLAG_BITS)
        super().__init__(members)

    def port_roles(self) -> dict[str, str]:
        """Role of every signature port (equal to its name)."""
        return {name: name for name in self.signature.members}

    def elaborate(self, platform: object) -> Module:
        m = Module()
        cfg = self.config
        d = cfg.dot
        beats = cfg.beats_per_group

        # ---------------------------------------------------------------- control
        advance = Signal()
        m_loaded = Signal()
        m_dtype = Signal(3)
        m_sel = Signal(2)
        m_scale = Signal(SCALE_BITS)
        bcnt = Signal(range(max(2, beats)))
        op_valid = Signal()
        op_w = Signal(d * CODE_BITS)
        op_a = Signal(d * cfg.act_bits)
        op_dtype = Signal(3)
        op_sel = Signal(2)
        op_scale = Signal(SCALE_BITS)
        op_first = Signal()
        op_last = Signal()
        step = Signal(STEP_BITS)

        svs = [
            Signal(SV_BITS, name=f"sv_{k}", init=special_to_field(v))
            for k, v in enumerate(cfg.special_values)
        ]
        with m.If(self.sv_we):
            with m.Switch(self.sv_addr):
                for k in range(4):
                    with m.Case(k):
                        m.d.sync += svs[k].eq(self.sv_data)

        m.submodules.enc = enc = TermEncoder(config=cfg)
        m.d.comb += [
            enc.codes.eq(op_w),
            enc.wtype.eq(op_dtype),
            enc.sel.eq(op_sel),
            enc.specials.eq(Cat(*svs)),
            enc.step.eq(step),
        ]
        accept = Signal()
        last_beat = Signal()
        m.d.comb += [
            last_beat.eq(bcnt == beats - 1),
            self.ready.eq(advance & m_loaded & (~op_valid | enc.last_step)),
            accept.eq(self.valid & self.ready),
            self.meta_ready.eq(~m_loaded | (accept & last_beat)),
        ]
        with m.If(advance):
            with m.If(accept):
                m.d.sync += [
                    op_valid.eq(1),
                    op_w.eq(self.w),
                    op_a.eq(self.a),
                    op_dtype.eq(m_dtype),
                    op_sel.eq(m_sel),
                    op_scale.eq(m_scale),
                    op_first.eq(bcnt == 0),
                    op_last.eq(last_beat),
                    step.eq(0),
                    bcnt.eq(Mux(last_beat, 0, bcnt + 1)),
                ]
                with m.If(last_beat):
                    m.d.sync += m_loaded.eq(0)
            with m.Elif(op_valid & enc.last_step):
                m.d.sync += op_valid.eq(0)
            with m.Elif(op_valid):
                m.d.sync += step.eq(step + 1)
        with m.If(self.meta_valid & self.meta_ready):
            m.d.sync += [
                m_loaded.eq(1),
                m_dtype.eq(self.meta_dtype),
                m_sel.eq(self.meta_sel),
                m_scale.eq(self.meta_scale),
            ]

        # ---------------------------------------------------------------- lanes
        xw = cfg.x_bits
        lanes = []
        xs = []
        prods = []
        nan = Const(0, 1)
        pinf = Const(0, 1)
        ninf = Const(0, 1)
        ab = cfg.act_bits
        for i in range(d):
            dec = Decoder(fmt=cfg.act)
            m.submodules[f"dec_{i}"] = dec
            m.d.comb += dec.code.eq(op_a[i * ab : (i + 1) * ab])
            mag = Signal(cfg.act_sig_bits, name=f"mag_{i}")
            m.d.comb += mag.eq(abs(dec.sig)[: cfg.act_sig_bits])
            p = Signal(cfg.act_sig_bits, name=f"p_{i}")
            m.d.comb += p.eq(mag & enc.t_man[i].replicate(cfg.act_sig_bits))
            x = Signal(xw, name=f"x_{i}")
            aexp = dec.exp if dec.exp_width else Const(0, 1)
            with m.If(p.any()):
                m.d.comb += x.eq(aexp + enc.t_exp[2 * i : 2 * i + 2])
            prods.append((p, dec.sig < 0, enc.t_sign[i]))
            xs.append(x)
            if dec.specials:
                wz, wn = enc.w_zero[i], enc.w_neg[i]
                inf = dec.is_inf & ~wz
                nan = nan | dec.is_nan | (dec.is_inf & wz)
                pinf = pinf | (inf & ~(dec.neg ^ wn))
                ninf = ninf | (inf & (dec.neg ^ wn))
        xmax = _max(m, xs, xw, "xmax")
        f = cfg.lane_frac_bits
        lw = cfg.lane_bits
        for i, (p, aneg, tsign) in enumerate(prods):
            delta = Signal(xw, name=f"delta_{i}")
            m.d.comb += delta.eq(xmax - xs[i])
            q = Signal(lw, name=f"q_{i}")
            m.d.comb += q.eq(Cat(Const(0, f), p) >> delta if f else p >> delta)
            lane = Signal(signed(lw + 1), name=f"lane_{i}")
            m.d.comb += lane.eq(Mux(aneg ^ tsign, -q, q))
            lanes.append(lane)
        tree = _sum(m, lanes, cfg.tree_bits, "tree")

        # ---------------------------------------------------------------- cycle-sum register
        st_valid = Signal()
        st_first = Signal()
        st_last = Signal()
        st_s = Signal(signed(cfg.tree_bits))
        st_x = Signal(xw)
        st_sigma = Signal(cfg.sigma_bits)
        st_flags = Signal(FLAG_BITS)
        st_scale = Signal(SCALE_BITS)
        with m.If(advance):
            m.d.sync += [
                st_valid.eq(op_valid),
                st_first.eq(op_first & (step == 0)),
                st_last.eq(op_last & enc.last_step),
                st_s.eq(tree),
                st_x.eq(xmax),
                st_sigma.eq(enc.sigma),
                st_flags.eq(Cat(nan, pinf, ninf, ~enc.type_ok)),
                st_scale.eq(op_scale),
            ]

        # ---------------------------------------------------------------- group accumulator
        acc_flags = Signal(FLAG_BITS)
        new_flags = Signal(FLAG_BITS)
        m.d.comb += new_flags.eq(Mux(st_first, 0, acc_flags) | st_flags)
        acc_a, acc_e, new_a, new_e = self._accumulator(m, st_first, st_s, st_x, st_sigma)

        # ---------------------------------------------------------------- dequantizer
        out_free = Signal()
        dq_cnt = Signal(range(SCALE_BITS + 1))
        dq_free = Signal()
        load = Signal()
        m.d.comb += [
            out_free.eq(~self.out_valid | self.out_ready),
            dq_free.eq((dq_cnt == 0) | ((dq_cnt == 1) & out_free)),
            advance.eq(~(st_valid & st_last & ~dq_free)),
            load.eq(st_valid & st_last & advance),
        ]
        with m.If(st_valid & advance & ~st_last):
            m.d.sync += [acc_a.eq(new_a), acc_flags.eq(new_flags)]
            if acc_e is not None:
                m.d.sync += acc_e.eq(new_e)
        self._dequant(m, load, dq_cnt, out_free, new_a, new_e, new_flags, st_scale)
        return m

    def _accumulator(
        self, m: Module, first: Value, s: Value, x: Value, sigma: Value
    ) -> tuple[Signal, Signal | None, Signal, Signal | None]:
        """Accumulator state and its next value for the registered cycle sum."""
        cfg = self.config
        if cfg.mode is PEMode.EXACT:
            w = cfg.acc_bits
            acc = Signal(signed(w), name="acc")
            aligned = Signal(signed(w), name="acc_term")
            right = Signal(range(cfg.x_max + 1), name="acc_right")
            m.d.comb += right.eq(cfg.x_max - x)
            shifted = Signal(signed(cfg.tree_bits), name="acc_sr")
            m.d.comb += shifted.eq(s >> right)
            # The term fits the accumulator (the group bound covers every cycle's value).
            m.d.comb += aligned.eq(shift_left(m, shifted, sigma, width=w, name="acc_sl"))
            new = Signal(signed(w), name="acc_next")
            m.d.comb += new.eq(Mux(first, 0, acc) + aligned)
            return acc, None, new, None
        accb = cfg.acc_bits
        cw = cfg.cycle_sum_bits
        lshift = cw - accb
        ebits = cfg.acc_exp_bits
        a = Signal(signed(accb), name="acc_man")
        ea = Signal(ebits, name="acc_exp")
        t = Signal(signed(cw), name="acc_t")
        m.d.comb += t.eq(shift_left(m, s, sigma, width=cw, name="acc_sl"))
        empty = Signal(name="acc_empty")
        m.d.comb += empty.eq(first | (a == 0))
        dw = max(ebits, cfg.x_bits) + 2
        dd = Signal(signed(dw), name="acc_d")
        m.d.comb += dd.eq(x + lshift - ea)
        sh_bits = cw.bit_length()
        d_a = Signal(range(cw + 1), name="acc_da")
        d_t = Signal(range(cw + 1), name="acc_dt")
        with m.If(~empty):
            with m.If(dd >= 0):
                m.d.comb += d_a.eq(Mux(dd > cw, cw, dd[:sh_bits]))
            with m.Else():
                neg = Signal(dw, name="acc_negd")
                m.d.comb += neg.eq(-dd)
                m.d.comb += d_t.eq(Mux(neg > cw, cw, neg[:sh_bits]))
        a_w = Signal(signed(cw), name="acc_aw")
        t_w = Signal(signed(cw), name="acc_tw")
        m.d.comb += [
            a_w.eq(Mux(empty, 0, Cat(Const(0, lshift), a).as_signed() >> d_a)),
            t_w.eq(t >> d_t),
        ]
        r = Signal(signed(cw + 1), name="acc_r")
        m.d.comb += r.eq(a_w + t_w)
        bits = _signed_bits(m, r, "acc_r")
        k = Signal(range(cw + 2 - accb), name="acc_k")
        with m.If(bits > accb):
            m.d.comb += k.eq(bits - accb)
        new_a = Signal(signed(accb), name="acc_man_next")
        new_e = Signal(ebits, name="acc_exp_next")
        # Normalisation: R >> k (floor) as a multiplexer of exact-width slices (k is at
        # most cw + 1 - accb, and the result fits accb bits by the choice of k).
        shifted = Signal(accb, name="acc_shifted")
        nearest = cfg.acc_rounding is AccRounding.NEAREST
        rbit = Signal(name="acc_round_bit") if nearest else None
        with m.Switch(k):
            for kk in range(cw + 2 - accb):
                with m.Case(kk):
                    m.d.comb += shifted.eq(r[kk : kk + accb])
                    if rbit is not None and kk:
                        # Round to nearest even: round bit and (sticky or LSB).
                        sticky = r[: kk - 1].any() if kk > 1 else Const(0, 1)
                        m.d.comb += rbit.eq(r[kk - 1] & (sticky | r[kk]))
        over: Value | None = None
        if rbit is not None:
            over = Signal(name="acc_round_over")
            # Only 2**(accb-1) can overflow, and it halves exactly.
            rounded = Signal(signed(accb + 1), name="acc_rounded")
            m.d.comb += rounded.eq(shifted.as_signed() + rbit)
            m.d.comb += over.eq(rounded[accb - 1] & ~rounded[accb])
            m.d.comb += new_a.eq(Mux(over, rounded[1:], rounded[:accb]))
        else:
            m.d.comb += new_a.eq(shifted)
        # The window LSB: et, or ea - L when the accumulator dominates (the shift amounts
        # above are clamped, this is not).
        ew = Signal(ebits, name="acc_ew")
        m.d.comb += ew.eq(Mux(~empty & (dd < 0), ea - lshift, x))
        m.d.comb += new_e.eq(ew + k if over is None else ew + k + over)
        return a, ea, new_a, new_e

    def _dequant(
        self,
        m: Module,
        load: Value,
        cnt: Signal,
        out_free: Value,
        a_in: Value,
        e_in: Value | None,
        flags_in: Value,
        scale_in: Value,
    ) -> None:
        """Bit-serial dequantizer (one scale bit per cycle) and the output register."""
        cfg = self.config
        exact = cfg.mode is PEMode.EXACT
        ow = cfg.out_man_bits
        dq_a = Signal(signed(cfg.acc_bits), name="dq_a")
        dq_s = Signal(SCALE_BITS, name="dq_scale")
        dq_p = Signal(signed(ow), name="dq_p")
        dq_flags = Signal(FLAG_BITS, name="dq_flags")
        dq_zero = Signal(name="dq_scale_zero")
        nxt = Signal(signed(ow), name="dq_next")
        dq_e = None if exact else Signal(cfg.acc_exp_bits, name="dq_exp")
        if exact:
            # MSB first: P = 2 P + bit * A (exact: ow = acc + 8 bits).
            m.d.comb += nxt.eq((dq_p << 1) + Mux(dq_s[-1], dq_a, 0))
        else:
            # LSB first: P = (P + bit * (A << (ow - acc))) >> 1 drops one bit per cycle.
            up = ow - cfg.acc_bits
            addend = Cat(Const(0, up), dq_a).as_signed() if up else dq_a
            # With up >= 1 the addend's LSB is 0, so the sum's LSB is P's and no carry
            # leaves it: the shifted sum is P[1:] + addend[1:] (P[0] is dropped).
            if up:
                m.d.comb += nxt.eq(dq_p[1:].as_signed() + Mux(dq_s[0], addend[1:].as_signed(), 0))
            else:
                wide = Signal(signed(ow + 1), name="dq_sum")
                m.d.comb += wide.eq(dq_p + Mux(dq_s[0], addend, 0))
                m.d.comb += nxt.eq(wide[1:])
        step = Signal(name="dq_step")
        m.d.comb += step.eq((cnt != 0) & ((cnt != 1) | out_free))
        with m.If(step):
            m.d.sync += [cnt.eq(cnt - 1), dq_p.eq(nxt)]
            m.d.sync += dq_s.eq(dq_s << 1 if exact else dq_s >> 1)
        with m.If(self.out_valid & self.out_ready):
            m.d.sync += self.out_valid.eq(0)
        with m.If(step & (cnt == 1)):
            # +inf and -inf both seen, or an infinity times scale 0: NaN.
            inf = dq_flags[1] | dq_flags[2]
            nan = dq_flags[0] | (dq_flags[1] & dq_flags[2]) | (dq_zero & inf)
            m.d.sync += [
                self.out_valid.eq(1),
                self.out_man.eq(nxt),
                self.out_flags.eq(Cat(nan, dq_flags[1:])),
            ]
            if dq_e is not None:
                m.d.sync += self.out_exp.eq(dq_e + cfg.dequant_drop_bits)
        with m.If(load):
            m.d.sync += [
                cnt.eq(SCALE_BITS),
                dq_a.eq(a_in),
                dq_s.eq(scale_in),
                dq_p.eq(0),
                dq_flags.eq(flags_in),
                dq_zero.eq(scale_in == 0),
            ]
            if dq_e is not None:
                m.d.sync += dq_e.eq(e_in)
