"""The BitMoD PE: stream front end, term encoder, datapath, group accumulator, dequantizer.

Datapath per cycle (arithmetic: :mod:`hwgen.golden.bitmod.pe`, ports and timing:
``docs/bitmod.md``)::

    operand regs (w, a, group meta) --TermEncoder(step)--> terms
    activation Decoder --> |sig|, exp, specials
    exponent match (x = exp + t_exp, MSB-first max scan, deltas) --> lane shift --> adder tree
    --[cycle-sum register]--> group accumulator (exact fixed point | narrow float)
    --(group's last cycle)--> bit-serial dequantizer (8 cycles) --> output register

A single stall (``advance`` low) freezes the front end and the cycle-sum register while a
finished group waits for the dequantizer; with groups of at least ``min_group_size`` and
``out_ready`` high it never happens.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed
from amaranth.lib import wiring

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.errors import HwgenError
from hwgen.golden.bitmod.config import (
    GROUP_FLAG_BITS,
    SCALE_BITS,
    WEIGHT_CODE_BITS,
    AccRounding,
    PEMode,
)
from hwgen.rtl.bitmod.encoder import STEP_BITS, SV_BITS, TermEncoder, special_to_field
from hwgen.rtl.common.decoder import Decoder
from hwgen.rtl.common.util import shift_left, signature_of

__all__ = ["FLAG_BITS", "BitmodPE"]

#: Width of ``out_flags`` (bit positions: :class:`GroupFlag`).
FLAG_BITS = GROUP_FLAG_BITS


def _max_scan(m: Module, values: list[Value], width: int, name: str) -> Value:
    """Maximum of unsigned values by an MSB-first scan (no comparators, no multiplexers).

    Bit ``b`` of the maximum is the OR of bit ``b`` over the values still in the running
    (equal to the maximum in every higher bit); a value with a 0 where the maximum has a
    1 drops out. AND-OR gates only, where a comparator tree needs ``n - 1`` comparators
    and ``n - 1`` ``width``-bit multiplexers.
    """
    cand = [Const(1, 1)] * len(values)
    bits = []
    for b in reversed(range(width)):
        hit = Signal(name=f"{name}_{b}")
        any_: Value = Const(0, 1)
        for c, v in zip(cand, values, strict=True):
            any_ = any_ | (c & v[b])
        m.d.comb += hit.eq(any_)
        bits.append(hit)
        if b:
            nxt = []
            for j, (c, v) in enumerate(zip(cand, values, strict=True)):
                k = Signal(name=f"{name}_{b}_in_{j}")
                m.d.comb += k.eq(c & (v[b] | ~hit))
                nxt.append(k)
            cand = nxt
    out = Signal(width, name=name)
    m.d.comb += out.eq(Cat(*reversed(bits)))
    return out


def _shr_digits(
    m: Module,
    value: Value,
    amount: Value,
    kill: Value,
    width: int,
    name: str,
    *,
    arithmetic: bool = False,
) -> Value:
    """Logical right shift of ``value`` (``width`` bits) by ``amount``, radix 4; 0 if ``kill``.

    Each 2-bit digit of the amount is decoded to one-hot once and every output bit is an
    AND-OR of four inputs (two AND-OR-INVERT gates and a NAND), cheaper than the two
    multiplexer stages of a binary shifter; shifted-in bits are zero (``arithmetic``:
    copies of the sign, the top bit). ``kill`` clears the first digit's one-hot code,
    which empties the result for the cost of the decoder's enable input.
    """
    cur = Signal(width, name=f"{name}_in")
    m.d.comb += cur.eq(value)
    for j in range(0, len(amount), 2):
        digit = amount[j : j + 2]
        step = 1 << j
        n = 1 << len(digit)
        hot = Signal(n, name=f"{name}_hot_{j}")
        m.d.comb += hot.eq(Mux(kill, 0, Const(1, n) << digit) if j == 0 else Const(1, n) << digit)
        nxt = Signal(width, name=f"{name}_d{j}")
        for i in range(width):
            terms: Value = Const(0, 1)
            for k in range(n):
                if i + k * step < width:
                    terms = terms | (hot[k] & cur[i + k * step])
                elif arithmetic:
                    terms = terms | (hot[k] & cur[width - 1])
            m.d.comb += nxt[i].eq(terms)
        cur = nxt
    return cur


def _sum(
    m: Module, values: list[Value], carries: list[Value], width: int, name: str
) -> tuple[Value, list[Value]]:
    """Balanced adder tree of signed values into ``width`` bits (exact by sizing).

    Each adder also takes one of the 1-bit ``carries`` as its carry-in, written as
    ``(Cat(c, a) + Cat(c, b)) >> 1`` (``= a + b + c``): the LSB position adds ``2c`` and
    carries ``c`` into the real sum, so the carry costs one adder bit instead of an
    incrementer. Returns the sum and the carries left over (``len(values) - 1`` are used).
    """
    level = 0
    left = list(carries)
    while len(values) > 1:
        nxt = []
        for j in range(0, len(values) - 1, 2):
            a, b = values[j], values[j + 1]
            # Each level as wide as its sum needs (at most ``width``): wider partial sums
            # are sign copies that some configs leave unread (Verilator UNUSEDSIGNAL,
            # fp8_e4m3 narrow at dot 8).
            need = 1 + max(v.shape().width + (not v.shape().signed) for v in (a, b))
            s = Signal(signed(min(width, need)), name=f"{name}_{level}_{j // 2}")
            if left:
                c = left.pop(0)
                # The doubled carry's LSB is never read (Verilator's unused pattern).
                lsb = Signal(name=f"{name}_{level}_{j // 2}_lsb_unused")
                m.d.comb += Cat(lsb, s).eq(Cat(c, a).as_signed() + Cat(c, b).as_signed())
            else:
                m.d.comb += s.eq(a + b)
            nxt.append(s)
        if len(values) % 2:
            nxt.append(values[-1])
        values = nxt
        level += 1
    return values[0], left


class BitmodPE(wiring.Component):
    """One BitMoD PE built from a :class:`~hwgen.design.bitmod.BitmodPEConfig`.

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
        super().__init__(signature_of(config.ports()))

    def elaborate(self, platform: object) -> Module:
        m = Module()
        cfg = self.config
        d = cfg.dot
        beats = cfg.beats_per_group
        exact = cfg.mode is PEMode.EXACT
        # Submodules (hierarchy for per-part synthesis statistics; the emitted Verilog is
        # flattened): exponent match, term multiply + shift + adder tree, group
        # accumulator, dequantizer + output register. Control stays at the top.
        mul, macc, mdq = Module(), Module(), Module()
        mx = mul if exact else Module()
        if not exact:
            m.submodules.expmatch = mx
        m.submodules.mul = mul
        m.submodules.acc = macc
        m.submodules.dequant = mdq

        # ---------------------------------------------------------------- control
        # No operand registers: a beat stays on `w` / `a` (valid/ready: the source holds
        # it until taken) and is worked on in place, one term step per cycle; `ready`
        # rises in its last step. The group's metadata register serves all its beats.
        advance = Signal()
        m_loaded = Signal()
        m_dtype = Signal(3)
        m_sel = Signal(2)
        m_scale = Signal(SCALE_BITS)
        bcnt = Signal(range(max(2, beats)))
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
        # A PE serving a subset of the datatypes keeps every documented port, but reads
        # no selector / special-value write without an FP type and no code bit above its
        # widest type: those inputs go to a kept wire named *unused*, Verilator's
        # convention (-Wall clean; Yosys drops nothing else, so the netlist is the same).
        has_fp = any(wt.is_float for wt in cfg.weight_types)
        unread: list[Value] = []
        if not has_fp:
            unread += [self.meta_sel, self.sv_we, self.sv_addr, self.sv_data]
        code_bits = max(wt.bits for wt in cfg.weight_types)
        if code_bits < WEIGHT_CODE_BITS:
            unread += [
                self.w[i * WEIGHT_CODE_BITS + code_bits : (i + 1) * WEIGHT_CODE_BITS]
                for i in range(cfg.dot)
            ]
        if unread:
            sink = Signal(len(Cat(*unread)), name="inputs_unused", attrs={"keep": 1})
            m.d.comb += sink.eq(Cat(*unread))
        m.d.comb += [
            enc.codes.eq(self.w),
            enc.wtype.eq(m_dtype),
            enc.sel.eq(m_sel if has_fp else 0),
            enc.specials.eq(Cat(*svs)),
            enc.step.eq(step),
        ]
        go = Signal()
        accept = Signal()
        last_beat = Signal()
        m.d.comb += [
            last_beat.eq(bcnt == beats - 1),
            go.eq(advance & m_loaded & self.valid),
            self.ready.eq(advance & m_loaded & enc.last_step),
            accept.eq(self.valid & self.ready),
            self.meta_ready.eq(~m_loaded | (accept & last_beat)),
        ]
        with m.If(accept):
            m.d.sync += [step.eq(0), bcnt.eq(Mux(last_beat, 0, bcnt + 1))]
            with m.If(last_beat):
                m.d.sync += m_loaded.eq(0)
        with m.Elif(go):
            m.d.sync += step.eq(step + 1)
        with m.If(self.meta_valid & self.meta_ready):
            m.d.sync += [
                m_loaded.eq(1),
                m_dtype.eq(self.meta_dtype),
                *([m_sel.eq(self.meta_sel)] if has_fp else []),
                m_scale.eq(self.meta_scale),
            ]

        # ---------------------------------------------------------------- lanes
        xw = cfg.x_bits
        xs = []
        prods = []
        lives: list[Value] = []
        nan = Const(0, 1)
        pinf = Const(0, 1)
        ninf = Const(0, 1)
        ab = cfg.act_bits
        for i in range(d):
            dec = Decoder(fmt=cfg.act, with_mag=True)
            m.submodules[f"dec_{i}"] = dec
            m.d.comb += dec.code.eq(self.a[i * ab : (i + 1) * ab])
            mag = Signal(cfg.act_sig_bits, name=f"mag_{i}")
            mul.d.comb += mag.eq(dec.mag[: cfg.act_sig_bits])
            # Term multiply: a term mantissa is one bit, the product is |sig| or 0. In
            # narrow mode the lane is emptied by its shifter instead (the delta saturates
            # when the product is zero), so no AND gates: `p` is |sig| and `live` says
            # whether the product is non-zero.
            live = Signal(name=f"live_{i}")
            mx.d.comb += live.eq(enc.t_man[i] & mag.any())
            p = Signal(cfg.act_sig_bits, name=f"p_{i}")
            if exact:
                mul.d.comb += p.eq(mag & enc.t_man[i].replicate(cfg.act_sig_bits))
            else:
                mul.d.comb += p.eq(mag)
            lives.append(live)
            x = Signal(xw, name=f"x_{i}")
            t_exp = enc.t_exp[2 * i : 2 * i + 2]
            # An integer activation has no exponent field (a zero-width signal would
            # reach the Verilog as an empty wire): x is the term exponent alone.
            xe = dec.exp + t_exp if dec.exp_width and len(dec.exp) else t_exp
            mx.d.comb += x.eq(Mux(live, xe, 0))
            # The activation's sign (a zero or special activation has p = 0: any sign).
            prods.append((p, dec.neg if dec.specials else dec.sig < 0, enc.t_sign[i]))
            xs.append(x)
            if dec.specials:
                wz, wn = enc.w_zero[i], enc.w_neg[i]
                inf = dec.is_inf & ~wz
                nan = nan | dec.is_nan | (dec.is_inf & wz)
                pinf = pinf | (inf & ~(dec.neg ^ wn))
                ninf = ninf | (inf & (dec.neg ^ wn))
        lw = cfg.lane_bits
        lanes = []
        negs = []
        if exact:
            # Exact: Q_i = (P_i << x_max_cfg) >> (x_max - x_i) = P_i << x_i; no max tree, no
            # deltas, and the accumulator needs no alignment shift.
            xmax: Value = Const(0, xw)
            for i, (p, aneg, tsign) in enumerate(prods):
                q = Signal(lw, name=f"q_{i}")
                mul.d.comb += q.eq(
                    shift_left(mul, Cat(p, Const(0, 1)), xs[i], width=lw + 1, name=f"q_{i}_sl")
                )
                negs.append((q, aneg ^ tsign))
        else:
            xmax = _max_scan(mx, xs, xw, "xmax")
            f = cfg.lane_frac_bits
            # A shift by >= lw empties the lane: the delta saturates to a shifter of
            # bit_length(lw) stages (4 for fp16's 14-bit lanes, not the 6 of a delta).
            sat = (lw).bit_length()
            for i, (p, aneg, tsign) in enumerate(prods):
                delta = Signal(xw, name=f"delta_{i}")
                mx.d.comb += delta.eq(xmax - xs[i])
                # A zero product empties its lane too, by the same kill input.
                dsat = Signal(sat, name=f"delta_sat_{i}")
                kill = Signal(name=f"lane_kill_{i}")
                mx.d.comb += [
                    dsat.eq(delta[:sat]),
                    kill.eq(~lives[i] | delta[sat:].any() if sat < xw else ~lives[i]),
                ]
                q = Signal(lw, name=f"q_{i}")
                mul.d.comb += q.eq(
                    _shr_digits(mul, Cat(Const(0, f), p) if f else p, dsat, kill, lw, f"q_{i}_sh")
                )
                negs.append((q, aneg ^ tsign))
        # The product sign: -q = ~q + 1; the ones' complements go into the tree and the
        # +1s into its adders' carry-ins. (Negating before the shift, as an
        # arithmetic shift of ~(P << F), measured larger: sign fill costs multiplexers
        # where zero fill costs AND gates.)
        for i, (q, neg) in enumerate(negs):
            lane = Signal(signed(lw + 1), name=f"lane_{i}")
            mul.d.comb += lane.eq(Cat(q ^ neg.replicate(lw), neg))
            lanes.append(lane)
        # The +1s: one carry-in per tree adder, the rest (one for dot 4) added at the end.
        tree = Signal(signed(cfg.tree_bits), name="tree")
        total: Value = lanes[0]
        for ln in lanes[1:]:
            total = total + ln
        for _, n in negs:
            total = total + n
        mul.d.comb += tree.eq(total)

        # ---------------------------------------------------------------- cycle-sum register
        st_valid = Signal()
        st_first = Signal()
        st_last = Signal()
        st_s = Signal(signed(cfg.tree_bits))
        st_x = Signal(range(cfg.cycle_exp_max + 1) if not exact else xw)
        st_sigma = Signal(cfg.sigma_bits)
        st_flags = Signal(FLAG_BITS)
        st_scale = Signal(SCALE_BITS)
        with m.If(advance):
            m.d.sync += [
                st_valid.eq(go),
                st_first.eq((bcnt == 0) & (step == 0)),
                st_last.eq(last_beat & enc.last_step),
                st_s.eq(tree),
                st_flags.eq(Cat(nan, pinf, ninf, ~enc.type_ok)),
                st_scale.eq(m_scale),
            ]
            if exact:
                m.d.sync += st_sigma.eq(enc.sigma)
            else:
                # The cycle sum's exponent: x_max plus the step's significance.
                m.d.sync += st_x.eq(xmax + enc.sigma)

        # ---------------------------------------------------------------- group accumulator
        acc_flags = Signal(FLAG_BITS)
        new_flags = Signal(FLAG_BITS)
        m.d.comb += new_flags.eq(Mux(st_first, 0, acc_flags) | st_flags)
        acc_a, acc_e, new_a, new_e = self._accumulator(macc, st_first, st_s, st_x, st_sigma)

        # ---------------------------------------------------------------- dequantizer
        out_free = Signal()
        dq_busy = Signal()
        dq_free = Signal()
        load = Signal()
        m.d.comb += [
            out_free.eq(~self.out_valid | self.out_ready),
            dq_free.eq(~dq_busy & out_free),
            advance.eq(~(st_valid & st_last & ~dq_free)),
            load.eq(st_valid & st_last & advance),
        ]
        # (The group's last cycle may write too: the next group's first cycle ignores
        # the accumulator, and a stall holds `advance` low.)
        with macc.If(st_valid & advance):
            macc.d.sync += [acc_a.eq(new_a), acc_flags.eq(new_flags)]
            if acc_e is not None:
                macc.d.sync += acc_e.eq(new_e)
        self._dequant(mdq, load, dq_busy, out_free, new_a, new_e, new_flags, st_scale)
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
            # The cycle sum is already in activation LSBs (lanes are P << x); the term
            # fits the accumulator (the group bound covers every cycle's value).
            m.d.comb += aligned.eq(shift_left(m, s, sigma, width=w, name="acc_sl"))
            new = Signal(signed(w), name="acc_next")
            m.d.comb += new.eq(Mux(first, 0, acc) + aligned)
            return acc, None, new, None
        accb = cfg.acc_bits
        cw = cfg.cycle_sum_bits
        lshift = cw - accb
        ebits = cfg.acc_exp_bits
        a = Signal(signed(accb), name="acc_man")
        ea = Signal(ebits, name="acc_exp")
        # The significance is in the exponent (x = x_max + sigma, added before the
        # cycle-sum register): the sum itself is not shifted.
        t = Signal(signed(cw), name="acc_t")
        m.d.comb += t.eq(s)
        empty = Signal(name="acc_empty")
        m.d.comb += empty.eq(first | (a == 0))
        dw = max(ebits, len(x)) + 2
        dd = Signal(signed(dw), name="acc_d")
        # (A zero Python constant is a 0-bit value: a [-1:0] wire in the Verilog.)
        m.d.comb += dd.eq((x + lshift if lshift else x) - ea)
        sh_bits = cw.bit_length()
        # One alignment shifter: the operand with the lower LSB exponent (the term when
        # dd >= 0 or the accumulator is empty, else the accumulator) stays, the other is
        # shifted right by |dd|. For dd < 0 the shifted operand is the term: it is
        # pre-shifted by one (a wire shift; arithmetic shifts compose exactly) and then
        # shifted by ~dd = -dd - 1, so |dd| needs no negator, only XORs with dd's sign.
        neg_d = Signal(name="acc_d_neg")
        m.d.comb += neg_d.eq(dd[-1])
        t_big = Signal(name="acc_t_big")
        m.d.comb += t_big.eq(empty | ~neg_d)
        mag_d = Signal(dw - 1, name="acc_magd")
        m.d.comb += mag_d.eq(dd[:-1] ^ neg_d.replicate(dw - 1))
        # Saturated to the shifter's range (a shift of >= cw gives the sign anyway): an OR
        # of the high bits, not a comparison with cw.
        amt = Signal(sh_bits, name="acc_amt")
        if dw - 1 > sh_bits:
            m.d.comb += amt.eq(mag_d[:sh_bits] | mag_d[sh_bits:].any().replicate(sh_bits))
        else:
            m.d.comb += amt.eq(mag_d)
        a_l = Signal(signed(cw), name="acc_al")
        m.d.comb += a_l.eq(Cat(Const(0, lshift), a).as_signed() if lshift else a)
        big = Signal(signed(cw), name="acc_big")
        small = Signal(signed(cw), name="acc_small")
        m.d.comb += [
            big.eq(Mux(t_big, t, a_l)),
            small.eq(Mux(t_big, Mux(empty, 0, a_l), t >> 1)),
        ]
        a_w = Signal(signed(cw), name="acc_aligned")
        t_w = big
        m.d.comb += a_w.eq(
            _shr_digits(m, small, amt, Const(0, 1), cw, "acc_align", arithmetic=True)
        )
        r = Signal(signed(cw + 1), name="acc_r")
        m.d.comb += r.eq(a_w + t_w)
        # Leading-one detection over the bits above the mantissa only: k is the number of
        # top bits of R (below its sign) that differ from the sign, counted from the
        # highest such bit down to bit accb - 1.
        k = Signal(range(cw + 2 - accb), name="acc_k")
        flip = Signal(cw + 1 - accb, name="acc_r_flip")
        m.d.comb += flip.eq(r[accb - 1 : cw] ^ r[cw].replicate(cw + 1 - accb))
        for b in range(cw + 1 - accb):  # later (higher) bits win
            with m.If(flip[b]):
                m.d.comb += k.eq(b + 1)
        new_a = Signal(signed(accb), name="acc_man_next")
        new_e = Signal(ebits, name="acc_exp_next")
        # Normalisation: R >> k (floor) as a multiplexer of exact-width slices (k is at
        # most cw + 1 - accb, and the result fits accb bits by the choice of k).
        shifted = Signal(accb, name="acc_shifted")
        nearest = cfg.acc_rounding is AccRounding.NEAREST
        rbit = Signal(name="acc_round_bit") if nearest else None
        # A logarithmic right shifter (len(k) stages) rather than a (cw + 2 - accb)-way
        # multiplexer per bit.
        cur: Value = r
        for i in range(len(k)):
            amount = 1 << i
            nxt = Signal(signed(cw + 1), name=f"acc_rsh_{i}")
            m.d.comb += nxt.eq(Mux(k[i], Cat(cur[amount:], cur[-1].replicate(amount)), cur))
            cur = nxt
        m.d.comb += shifted.eq(cur[:accb])
        if rbit is not None:
            with m.Switch(k):
                for kk in range(1, cw + 2 - accb):
                    with m.Case(kk):
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
        m.d.comb += ew.eq(Mux(~empty & neg_d, ea - lshift if lshift else ea, x))
        m.d.comb += new_e.eq(ew + k if over is None else ew + k + over)
        return a, ea, new_a, new_e

    def _dequant(
        self,
        m: Module,
        load: Value,
        busy: Signal,
        out_free: Value,
        a_in: Value,
        e_in: Value | None,
        flags_in: Value,
        scale_in: Value,
    ) -> None:
        """Bit-serial dequantizer (one scale bit per cycle) working in the output register.

        The load edge does the first shift-add step, the next 7 edges the others; the
        product register is ``out_man`` itself (``out_valid`` rises with the last step), so
        a result holds the dequantizer until it is taken.
        """
        cfg = self.config
        exact = cfg.mode is PEMode.EXACT
        ow = cfg.out_man_bits
        dq_a = Signal(signed(cfg.acc_bits), name="dq_a")
        # The scale bits still to use plus a marker bit behind them (no step counter): the
        # steps run while anything but the marker is left, i.e. 7 after the load.
        dq_s = Signal(SCALE_BITS, name="dq_scale")
        dq_p = Signal(signed(ow), name="dq_p")
        dq_flags = Signal(FLAG_BITS, name="dq_flags")
        dq_e = None if exact else Signal(cfg.out_exp_bits, name="dq_exp")

        def shift_add(p: Value, bit: Value, a: Value) -> Value:
            """The next P; narrow with ``ow > acc``: ``p`` is the old P without its LSB."""
            if exact:
                # MSB first: P = 2 P + bit * A (exact: ow = acc + 8 bits).
                return (p << 1) + Mux(bit, a, 0)
            # LSB first: P = (P + bit * (A << (ow - acc))) >> 1 drops one bit per cycle.
            up = ow - cfg.acc_bits
            addend = Cat(Const(0, up), a).as_signed() if up else a
            # With up >= 1 the addend's LSB is 0, so the sum's LSB is P's and no carry
            # leaves it: the shifted sum is P[1:] + addend[1:] (P[0] is dropped).
            if up:
                return p + Mux(bit, addend[1:].as_signed(), 0)
            wide = Signal(signed(ow + 1), name="dq_sum")
            m.d.comb += wide.eq(p + Mux(bit, addend, 0))
            return wide[1:]

        # One shift-add serves the load (P = 0, the new group's accumulator and scale) and
        # the steps: the multiplexers sit on the accumulator-wide operand, not on P.
        nxt = Signal(signed(ow), name="dq_next")
        # (The LSB-first step never reads P's LSB when ow > acc: then p_in is P[1:].)
        lsb_unread = not exact and ow > cfg.acc_bits
        p_in = Signal(signed(ow - 1 if lsb_unread else ow), name="dq_p_in")
        a_op = Signal(signed(cfg.acc_bits), name="dq_a_op")
        bit = Signal(name="dq_bit")
        m.d.comb += [
            p_in.eq(Mux(load, 0, dq_p[1:] if lsb_unread else dq_p)),
            a_op.eq(Mux(load, a_in, dq_a)),
            bit.eq(Mux(load, scale_in[-1], dq_s[-1]) if exact else Mux(load, scale_in[0], dq_s[0])),
            nxt.eq(shift_add(p_in, bit, a_op)),
            self.out_man.eq(dq_p),
            self.out_flags.eq(dq_flags),
        ]
        first = nxt
        if dq_e is not None:
            m.d.comb += self.out_exp.eq(dq_e)
        step = Signal(name="dq_step")
        rest = dq_s[:-1] if exact else dq_s[1:]
        m.d.comb += [step.eq(rest.any()), busy.eq(step)]
        with m.If(step):
            m.d.sync += dq_p.eq(nxt)
            m.d.sync += dq_s.eq(dq_s << 1 if exact else dq_s >> 1)
        # The last step: only the marker is left after it.
        last = (rest == 1) if not exact else (rest == 1 << (SCALE_BITS - 2))
        with m.If(step & last):
            m.d.sync += self.out_valid.eq(1)
        with m.If(self.out_valid & self.out_ready):
            m.d.sync += self.out_valid.eq(0)
        with m.If(load):
            # +inf and -inf both seen, or an infinity times scale 0: NaN.
            inf = flags_in[1] | flags_in[2]
            nan = flags_in[0] | (flags_in[1] & flags_in[2]) | ((scale_in == 0) & inf)
            # The load step uses one scale bit; the marker goes behind the other 7.
            one = Const(1, 1)
            marked = Cat(one, scale_in[:-1]) if exact else Cat(scale_in[1:], one)
            m.d.sync += [
                dq_a.eq(a_in),
                dq_s.eq(marked),
                dq_p.eq(first),
                dq_flags.eq(Cat(nan, flags_in[1:])),
            ]
            if dq_e is not None and e_in is not None:
                # out_exp = ea (the dropped bits are in out_lsb_exp: no adder).
                m.d.sync += dq_e.eq(e_in)
