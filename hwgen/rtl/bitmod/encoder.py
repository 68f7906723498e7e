"""Weight term encoder (combinational): ``dot`` weight codes + step -> one term per weight.

Implements :mod:`hwgen.golden.bitmod.terms` in hardware: radix-4 Booth digit selection for
the integer types (the code sign-extended to 8 bits, the bit triple of the step picked by a
multiplexer); for FP4/FP3 a ROM of each magnitude index's two terms (built from the golden
encoder) per lane, and the group's special value turned into its terms once, by two
leading-one detectors shared by every lane (the selector is per group). The datatype
decoder also gives the step's significance, whether it is the weight's last step, and
whether the datatype code names a served type.
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Array, Cat, Const, Module, Mux, Signal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen.errors import HwgenError
from hwgen.golden.bitmod.config import (
    SPECIAL_MAG_BITS,
    SV_FIELD_BITS,
    WEIGHT_CODE_BITS,
    BitmodPEParams,
    WeightType,
)
from hwgen.golden.bitmod.terms import encode_terms

__all__ = ["CODE_BITS", "STEP_BITS", "SV_BITS", "TermEncoder", "special_to_field"]

#: Width of one weight code slot on the ``w`` bus (INT8 is the widest type).
CODE_BITS = WEIGHT_CODE_BITS
#: Width of a special-value register entry: sign (bit 5) + 5-bit magnitude.
SV_BITS = SV_FIELD_BITS
#: Width of the term-step counter (at most 4 steps).
STEP_BITS = 2


def special_to_field(value: int) -> int:
    """A special value (code units) as its 6-bit sign-magnitude register field."""
    return (int(value < 0) << SPECIAL_MAG_BITS) | abs(int(value))


def _lod4(m: Module, bits: Value, name: str) -> tuple[Signal, Signal]:
    """(position of the leading one, one-hot of it) of a 4-bit value (0, 0 when zero)."""
    pos = Signal(2, name=f"{name}_pos")
    hot = Signal(4, name=f"{name}_hot")
    with m.If(bits[3]):
        m.d.comb += [pos.eq(3), hot.eq(8)]
    with m.Elif(bits[2]):
        m.d.comb += [pos.eq(2), hot.eq(4)]
    with m.Elif(bits[1]):
        m.d.comb += [pos.eq(1), hot.eq(2)]
    with m.Elif(bits[0]):
        m.d.comb += [pos.eq(0), hot.eq(1)]
    return pos, hot


class TermEncoder(wiring.Component):
    """Encode one beat of ``dot`` weights into the terms of term step ``step``.

    Ports
    -----
    codes : In(dot * 8)
        Weight code of lane ``i`` in bits ``[8i, 8i + wt.bits)`` (upper bits ignored).
    wtype : In(3)
        Datatype code (:attr:`WeightType.code`).
    sel : In(2)
        Special-value register entry of the group.
    specials : In(4 * 6)
        The register: entry ``k`` in bits ``[6k, 6k + 6)``, sign-magnitude.
    step : In(2)
        Term step, ``0 .. cycles - 1``.
    t_sign, t_man, w_zero, w_neg : Out(dot)
        Per lane: term sign and mantissa bit; the weight is zero / negative.
    t_exp : Out(dot * 2)
        Per lane term exponent.
    sigma : Out(sigma_bits)
        Significance of this step (shared by all lanes).
    last_step : Out(1)
        ``step`` is the datatype's last step.
    type_ok : Out(1)
        The datatype code names a served type (else every term and weight is zero and the
        weight takes ``min_cycles`` steps).
    """

    def __init__(self, *, config: BitmodPEParams) -> None:
        if not isinstance(config, BitmodPEParams):
            raise HwgenError(f"config must be a BitmodPEParams, not {type(config).__name__}")
        self.config = config
        d = config.dot
        super().__init__(
            {
                "codes": In(d * CODE_BITS),
                "wtype": In(3),
                "sel": In(2),
                "specials": In(4 * SV_BITS),
                "step": In(STEP_BITS),
                "t_sign": Out(d),
                "t_man": Out(d),
                "t_exp": Out(2 * d),
                "w_zero": Out(d),
                "w_neg": Out(d),
                "sigma": Out(config.sigma_bits),
                "last_step": Out(1),
                "type_ok": Out(1),
            }
        )

    def elaborate(self, platform: object) -> Module:
        m = Module()
        cfg = self.config
        is_type = {}
        for wt in cfg.weight_types:
            s = Signal(name=f"is_{wt.value}")
            m.d.comb += s.eq(self.wtype == wt.code)
            is_type[wt] = s
        m.d.comb += self.type_ok.eq(Cat(*is_type.values()).any())
        # Step facts of the datatype.
        last = Const(0, 1)
        sigma: Value = Const(0, cfg.sigma_bits)
        for wt, hit in is_type.items():
            last = last | (hit & (self.step == wt.cycles - 1))
            sig_t = Array(Const(s, cfg.sigma_bits) for s in (*wt.sigmas, 0, 0, 0, 0)[:4])
            sigma = sigma | Mux(hit, sig_t[self.step], 0)
        last = last | (~self.type_ok & (self.step == cfg.min_cycles - 1))
        m.d.comb += [self.last_step.eq(last), self.sigma.eq(sigma)]
        sv = Array(self.specials[k * SV_BITS : (k + 1) * SV_BITS] for k in range(4))
        special = self._special_term(m, sv[self.sel]) if self._floats() else None
        for i in range(cfg.dot):
            self._lane(m, i, is_type, special)
        return m

    def _floats(self) -> list[WeightType]:
        return [w for w in self.config.weight_types if w.is_float]

    def _special_term(self, m: Module, special: Value) -> tuple[Value, Value, Value, Value]:
        """The group's special value as this step's term, shared by every lane.

        The selector is per group, so one pair of leading-one detectors serves all lanes:
        over bits 4..1 of the 5-bit magnitude (high term, step 0) and bits 3..0 of the rest
        (low term). Returns (man, exp, negative, zero).
        """
        mag = special[:SPECIAL_MAG_BITS]
        hpos, hhot = _lod4(m, mag[1:5], "sv_h")
        rest = Signal(4, name="sv_rest")
        m.d.comb += rest.eq(mag[:4] & ~Cat(Const(0, 1), hhot[:3]))
        lpos, _ = _lod4(m, rest, "sv_l")
        man = Signal(name="sv_man")
        exp = Signal(2, name="sv_exp")
        with m.If(self.step == 0):
            m.d.comb += [man.eq(mag[1:5].any()), exp.eq(hpos)]
        with m.Else():
            m.d.comb += [man.eq(rest.any()), exp.eq(lpos)]
        zero = Signal(name="sv_zero")
        neg = Signal(name="sv_neg")
        m.d.comb += [zero.eq(mag == 0), neg.eq(special[SPECIAL_MAG_BITS])]
        return man, exp, neg, zero

    def _lane(
        self,
        m: Module,
        i: int,
        is_type: dict[WeightType, Signal],
        special: tuple[Value, Value, Value, Value] | None,
    ) -> None:
        code = self.codes[i * CODE_BITS : (i + 1) * CODE_BITS]
        sign = Signal(name=f"l{i}_sign")
        man = Signal(name=f"l{i}_man")
        exp = Signal(2, name=f"l{i}_exp")
        zero = Signal(name=f"l{i}_zero", init=1)
        neg = Signal(name=f"l{i}_neg")
        ints = [wt for wt in is_type if not wt.is_float]
        if ints:
            ext = Signal(CODE_BITS, name=f"l{i}_ext")
            for wt in ints:
                b = wt.bits
                with m.If(is_type[wt]):
                    m.d.comb += ext.eq(Cat(code[:b], code[b - 1].replicate(CODE_BITS - b)))
            ext1 = Cat(Const(0, 1), ext)  # b[-1] = 0 below bit 0
            tri = Array(ext1[2 * t : 2 * t + 3] for t in range(4))[self.step]
            b2, b1, b0 = tri[2], tri[1], tri[0]
            any_int = Cat(*(is_type[w] for w in ints)).any()
            with m.If(any_int):
                m.d.comb += [
                    # Booth digit -2 b2 + b1 + b0: zero for 000 / 111, +-2 for 011 / 100.
                    man.eq(~((b2 & b1 & b0) | ~(b2 | b1 | b0))),
                    exp.eq((~b2 & b1 & b0) | (b2 & ~b1 & ~b0)),
                    sign.eq(b2 & ~(b1 & b0)),
                    zero.eq(ext == 0),
                    neg.eq(ext[-1]),
                ]
        floats = [w for w in is_type if w.is_float]
        if floats and special is not None:
            # A non-special FP code's two terms are a constant of its magnitude index: a
            # ROM per type built from the golden encoder (no leading-one detector per
            # lane); the -0 code takes the group's shared special-value term.
            rom_h = Signal(3, name=f"l{i}_fp_h")  # (man, exp) of the high term
            rom_l = Signal(3, name=f"l{i}_fp_l")
            is_sp = Signal(name=f"l{i}_fp_special")
            wsign = Signal(name=f"l{i}_fp_sign")
            for wt in floats:
                b = wt.bits
                t = encode_terms(np.arange(1 << (b - 1)), wt)
                hs = [int(t.man[j, 0]) | int(t.exp[j, 0]) << 1 for j in range(1 << (b - 1))]
                ls = [int(t.man[j, 1]) | int(t.exp[j, 1]) << 1 for j in range(1 << (b - 1))]
                idx = code[: b - 1]
                with m.If(is_type[wt]):
                    m.d.comb += [
                        rom_h.eq(Array(Const(v, 3) for v in hs)[idx]),
                        rom_l.eq(Array(Const(v, 3) for v in ls)[idx]),
                        is_sp.eq(code[b - 1] & (idx == 0)),
                        wsign.eq(code[b - 1]),
                    ]
            s_man, s_exp, s_neg, s_zero = special
            rom = Signal(3, name=f"l{i}_fp_term")
            m.d.comb += rom.eq(Mux(self.step == 0, rom_h, rom_l))
            f_man = Signal(name=f"l{i}_fp_man")
            f_neg = Signal(name=f"l{i}_fp_neg")
            f_zero = Signal(name=f"l{i}_fp_zero")
            m.d.comb += [
                f_man.eq(Mux(is_sp, s_man, rom[0])),
                f_neg.eq(Mux(is_sp, s_neg, wsign)),
                f_zero.eq(Mux(is_sp, s_zero, ~(rom_h[0] | rom_l[0]))),
            ]
            with m.If(Cat(*(is_type[w] for w in floats)).any()):
                m.d.comb += [
                    man.eq(f_man),
                    exp.eq(Mux(is_sp, s_exp, rom[1:])),
                    sign.eq(f_neg & f_man),
                    zero.eq(f_zero),
                    neg.eq(f_neg & ~f_zero),
                ]
        m.d.comb += [
            self.t_sign[i].eq(sign),
            self.t_man[i].eq(man),
            self.t_exp[2 * i : 2 * i + 2].eq(exp),
            self.w_zero[i].eq(zero),
            self.w_neg[i].eq(neg),
        ]
