"""The MAC unit: decoders, multiplier, optional pipeline, aligner, accumulator, flags, output.

Datapath (``docs/hardware.md`` for ports and timing)::

    a, w --Decoder--> sig, exp --multiplier--> prod, shift --[stage 1]--> Aligner
         --[stages 2..]--> Accumulator (acc) --FloatConverter--> out
    decoder flags --ProductFlags--> (pipelined alongside) --FlagRegister--> flags

``valid`` and ``clear`` travel down the pipeline with their product, so a pipelined unit
behaves exactly like the unpipelined one, ``stages`` cycles later. For INT x INT (no
exponents) the aligner is a plain sign extension and the datapath is the behavioural
``acc <= clear ? (valid ? a*w : 0) : acc + (valid ? a*w : 0)``.
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal, Value
from amaranth.lib import wiring

from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.golden import Multiplier, Overflow
from hwgen.golden.product_spec import product_spec
from hwgen.rtl.common.accumulator import Accumulator
from hwgen.rtl.common.aligner import Aligner
from hwgen.rtl.common.decoder import Decoder
from hwgen.rtl.common.flags import FlagRegister, ProductFlags
from hwgen.rtl.common.fpacc import FloatAccumulator, operand_sign
from hwgen.rtl.common.fpconvert import FloatConverter
from hwgen.rtl.common.multipliers import MULTIPLIERS
from hwgen.rtl.common.util import signature_of

__all__ = ["MacUnit"]


class MacUnit(wiring.Component):
    """One multiply-accumulate unit built from a :class:`~hwgen.design.mac.MacConfig`.

    Parameters
    ----------
    config
        The validated configuration.

    Ports
    -----
    a : In(unsigned(config.a.bits))
        Activation code.
    w : In(unsigned(config.w.bits))
        Weight code.
    valid, clear : In(unsigned(1))
        ``valid`` accumulates ``a * w``; ``clear`` restarts (with ``valid``: ``acc := a*w``;
        alone: ``acc := 0``).
    acc : Out(signed(config.accumulator.bits))
        The accumulator, value ``acc * 2**config.accumulator.lsb_exp``; with
        ``config.acc_format`` unsigned, the code of a
        :class:`~hwgen.rtl.common.fpacc.FloatAccumulator` fed the exact products (its
        ``stages`` registers replace the fixed-point pipeline).
    flags : Out(unsigned(3))
        Sticky special-value flags since the last clear, bit positions :data:`FLAG_BITS`;
        only when ``config.has_flags``.
    out : Out(unsigned(config.out.bits))
        ``acc`` rounded to ``config.out_format`` (RNE), combinational; when the unit has
        ``flags``, a NaN / +-inf flag gives the format's NaN / +-inf encoding (as
        ``hwgen.golden.acc_to_format(..., flags=...)``). Only with ``out_format``.

    Amaranth adds ``clk`` and a synchronous active-high ``rst`` when the unit is converted;
    reset clears the accumulator, the flags and the pipeline.

    The signature is ``config.ports()`` (:func:`~hwgen.rtl.common.util.signature_of`); the
    timing is ``config.latency`` / ``config.out_latency``, the flag layout
    :data:`hwgen.golden.FLAG_BITS`.
    """

    def __init__(self, *, config: MacConfig) -> None:
        if not isinstance(config, MacConfig):
            raise HwgenError(f"config must be a MacConfig, not {type(config).__name__}")
        self.config = config
        super().__init__(signature_of(config.ports()))

    def elaborate(self, platform: object) -> Module:
        m = Module()
        cfg = self.config
        a_fmt, w_fmt = cfg.a, cfg.w
        m.submodules.dec_a = dec_a = Decoder(fmt=a_fmt)
        m.submodules.dec_w = dec_w = Decoder(fmt=w_fmt)
        m.d.comb += [dec_a.code.eq(self.a), dec_w.code.eq(self.w)]

        spec = cfg.accumulator
        mult_cls = MULTIPLIERS[Multiplier(cfg.multiplier)]
        if cfg.float_acc is not None:
            # The float accumulator takes the whole product (prod, shift) unaligned.
            offset, keep, prod_keep = 0, None, None
        else:
            # Constant left shift from the product's LSB to the accumulator's.
            offset = (
                a_fmt.lsb_exp + w_fmt.lsb_exp - spec.lsb_exp + mult_cls.offset_for(a_fmt, w_fmt)
            )
            # A wrapping (or exact) accumulator needs only its own width of every term (the
            # bits above never reach it); a saturating one needs the whole term to see how
            # far out of range it is.
            keep = None if cfg.overflow is Overflow.SATURATE else spec.bits
            prod_keep = None if keep is None else max(1, keep - offset)
        # A window above the product's LSB (offset < 0): product bits that no shift can lift
        # to the window's LSB are not brought out of the multiplier at all.
        drop = max(0, -offset - (a_fmt.sig_exp.exp_max + w_fmt.sig_exp.exp_max))
        if drop:
            offset += drop
            prod_keep = None if prod_keep is None else max(1, prod_keep - drop)
        # Registers go to the config's cut points in order (MacConfig.cut_points); the ones
        # beyond them are plain delays before the accumulator.
        used = cfg.cut_points[: cfg.stages] if cfg.float_acc is None else ()
        split = "partial" in used
        if split:
            mult = mult_cls(a_fmt=a_fmt, w_fmt=w_fmt, max_width=prod_keep, drop=drop, split=True)
        else:
            mult = mult_cls(a_fmt=a_fmt, w_fmt=w_fmt, max_width=prod_keep, drop=drop)
        m.submodules.mult = mult
        # Every multiplier has the same signature (multiplier_signature); the inputs it
        # reads (`mult.reads`) are driven, the others stay undriven so that no unused net
        # reaches the netlist.
        operands = (("a", self.a, dec_a), ("w", self.w, dec_w))
        for field in ("code", "sig", "special", "exp"):
            if field not in mult.reads:
                continue
            for role, code, dec in operands:
                if not hasattr(mult, f"{role}_{field}"):
                    continue  # no exponent port for a format without exponents
                port = getattr(mult, f"{role}_{field}")
                if field == "code":
                    m.d.comb += port.eq(code)
                elif field == "sig":
                    m.d.comb += port.eq(dec.sig)
                elif field == "special" and dec.specials:
                    m.d.comb += port.eq(dec.is_nan | dec.is_inf)
                elif field == "exp":
                    m.d.comb += port.eq(dec.exp)

        # Per-product values that travel down the pipeline together.
        prod: Value = mult.prod
        shift: Value | None = mult.shift if mult.shift_max else None
        valid: Value = self.valid
        clear: Value = self.clear
        pflags: Value | None = None
        # Product flags feed the flag register, or a float accumulator's special values.
        if a_fmt.has_specials or w_fmt.has_specials:
            m.submodules.pflags = pf = ProductFlags(a_fmt=a_fmt, w_fmt=w_fmt)
            m.d.comb += [pf.a_sig.eq(dec_a.sig), pf.w_sig.eq(dec_w.sig)]
            for role, dec in (("a", dec_a), ("w", dec_w)):
                if dec.specials:
                    m.d.comb += [
                        getattr(pf, f"{role}_nan").eq(dec.is_nan),
                        getattr(pf, f"{role}_inf").eq(dec.is_inf),
                        getattr(pf, f"{role}_neg").eq(dec.neg),
                    ]
            pflags = pf.flags

        if cfg.float_acc is not None:
            self._float_accumulator(m, mult, pflags)
            return m

        if split:
            # The multiplier's own register (partial products): the rest of the product's
            # values wait one clock with it.
            _, _, valid, clear, pflags = _register(
                m, "sp", prod=None, shift=None, valid=valid, clear=clear, pflags=pflags
            )
        if cfg.stages >= 1:
            prod, shift, valid, clear, pflags = _register(
                m, "s1", prod=prod, shift=shift, valid=valid, clear=clear, pflags=pflags
            )
            assert prod is not None

        exact_width = max(1, mult.prod_width + mult.shift_max + offset)
        width = exact_width if keep is None else min(exact_width, keep)
        m.submodules.align = align = Aligner(
            prod_width=mult.prod_width, shift_max=mult.shift_max, offset=offset, width=width
        )
        m.d.comb += align.prod.eq(prod)
        if shift is not None:
            m.d.comb += align.shift.eq(shift)
        term: Value = align.term
        # `aligned` (when a cut point) and the delay stages, after the aligner.
        for k in range(2, 1 + cfg.stages - int(split)):
            term, _, valid, clear, pflags = _register(
                m, f"s{k}", prod=term, shift=None, valid=valid, clear=clear, pflags=pflags
            )
            assert term is not None

        m.submodules.accum = accum = Accumulator(
            term_width=width, bits=spec.bits, overflow=cfg.overflow
        )
        m.d.comb += [
            accum.term.eq(term),
            accum.valid.eq(valid),
            accum.clear.eq(clear),
            self.acc.eq(accum.acc),
        ]
        if pflags is not None:
            m.submodules.flagreg = flagreg = FlagRegister()
            m.d.comb += [
                flagreg.pflags.eq(pflags),
                flagreg.valid.eq(valid),
                flagreg.clear.eq(clear),
                self.flags.eq(flagreg.flags),
            ]
        if cfg.out is not None:
            m.submodules.conv = conv = FloatConverter(
                bits=spec.bits, lsb_exp=spec.lsb_exp, fmt=cfg.out, with_flags=cfg.has_flags
            )
            m.d.comb += [conv.acc.eq(accum.acc), self.out.eq(conv.code)]
            if cfg.has_flags:
                m.d.comb += conv.flags.eq(self.flags)
        return m

    def _float_accumulator(self, m: Module, mult: wiring.Component, pflags: Value | None) -> None:
        """``acc`` from a :class:`FloatAccumulator` fed the multiplier's exact products."""
        cfg = self.config
        fa = cfg.float_acc
        assert fa is not None
        product = product_spec(cfg.a, cfg.w, Multiplier(cfg.multiplier))
        m.submodules.faccum = faccum = FloatAccumulator(spec=fa, product=product, stages=cfg.stages)
        m.d.comb += [
            faccum.prod.eq(mult.prod),
            faccum.prod_neg.eq(operand_sign(cfg.a, self.a) ^ operand_sign(cfg.w, self.w)),
            faccum.valid.eq(self.valid),
            faccum.clear.eq(self.clear),
            self.acc.eq(faccum.acc),
        ]
        if product.shift_max:
            m.d.comb += faccum.shift.eq(mult.shift)
        if product.specials:
            assert pflags is not None
            m.d.comb += faccum.prod_flags.eq(pflags)


def _register(
    m: Module,
    prefix: str,
    *,
    prod: Value | None,
    shift: Value | None,
    valid: Value,
    clear: Value,
    pflags: Value | None,
) -> tuple[Value | None, Value | None, Value, Value, Value | None]:
    """One pipeline stage: register every value that belongs to the same product."""

    def reg(name: str, value: Value | None) -> Value | None:
        if value is None:
            return None
        r = Signal(value.shape(), name=f"{prefix}_{name}")
        m.d.sync += r.eq(value)
        return r

    v, c = reg("valid", valid), reg("clear", clear)
    assert v is not None and c is not None
    return reg("prod", prod), reg("shift", shift), v, c, reg("pflags", pflags)
