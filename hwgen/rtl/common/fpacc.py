"""Floating-point accumulator: exact products added into a minifloat register, RNE.

Bit-exact with :func:`hwgen.golden.float_acc.float_mac_trace` (semantics there and in
``docs/decisions.md``, "Float accumulation").

Product interface (what the MAC's multiplier path delivers, :class:`ProductSpec`)
---------------------------------------------------------------------------------
``prod`` (signed, ``product.sig_width``) and ``shift`` (unsigned, ``0..shift_max``; absent
when ``shift_max == 0``) with ``value = prod * 2**(shift + product.lsb_exp)``: exactly the
``prod`` / ``shift`` ports of :class:`~hwgen.rtl.common.multipliers.ExactMultiplier` (built without
``max_width``) or :class:`~hwgen.rtl.common.multipliers.LMulMultiplier` (its constant
``shift_offset`` is folded into ``product.lsb_exp``). ``prod_neg`` is the product's sign,
the XOR of the operands' sign bits (it gives a zero product its sign: ``-0 x 3 = -0``).
``prod_flags`` (only when ``product.specials``) is the 3-bit word of
:class:`~hwgen.rtl.common.flags.ProductFlags` (``FLAG_BITS``: nan, pinf, ninf). ``valid`` /
``clear`` as for the fixed-point accumulator.

Datapath and pipelining
-----------------------
1. product normalisation: ``|prod|``, leading-zero count, left shift, product exponent;
2. ``unfused`` only: the product rounded to the accumulator format (a code);
3. the accumulation loop, one cycle: unpack the accumulator code, compare exponents, swap,
   align the smaller operand (right shift with sticky), add / subtract, take the magnitude,
   count leading zeros, normalise (limited so the exponent stays >= 1, which produces
   subnormals without a second shifter; unlimited with ``flush``), round to nearest even,
   handle overflow / flush / signed zero / NaN / inf, write the register.

Everything in step 3 depends on the previous result: the next alignment needs the rounded
exponent, the rounding needs the normalised sum. Splitting it over two cycles would add a
product to a not yet rounded accumulator (a different arithmetic) or halve the throughput,
so the loop stays one cycle. ``stages`` puts registers at the cut points outside the loop,
closest to the loop first (:attr:`FloatAccumulator.cut_points`): fused ``normalised`` (before
the loop), then ``input`` (after the multiplier); unfused ``rounded``, ``normalised``,
``input``. More stages than cut points would only delay and are rejected.

Internal window: the larger operand (by exponent) has its leading bit at position
``N - 2`` of an ``N``-bit magnitude, ``N = max(man_bits + 5, product precision + 3)``;
position ``N - 1`` takes the carry, position 0 the sticky bit of the aligned smaller
operand. That is wide enough that the sum is exact or its sticky representative rounds
like the exact sum (proof in :mod:`hwgen.golden._float_arith`, same argument).
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen.errors import HwgenError
from hwgen.formats import Format, IntFormat, MinifloatFormat, SpecialPolicy, signed_width
from hwgen.golden import FLAG_BITS
from hwgen.golden.float_acc import FloatAccSpec
from hwgen.golden.product_spec import ProductSpec
from hwgen.rtl.common.fpparts import leading_zeros, shift_left, shift_right_sticky
from hwgen.rtl.common.util import bits_for


def operand_sign(fmt: Format, code: Value) -> Value:
    """The sign bit of an operand code (what ``prod_neg`` is the XOR of).

    The code's top bit for minifloats and signed integers (integers have no -0, and 0 is
    positive), 0 for unsigned integers, a constant lookup of ``signbit(values())`` for table
    formats (BitMoD's extra value sits on the -0 code and may be positive).
    """
    if isinstance(fmt, MinifloatFormat) or (isinstance(fmt, IntFormat) and fmt.signed):
        return code[fmt.bits - 1]
    if isinstance(fmt, IntFormat):
        return Const(0, 1)
    neg = [int(c) for c in np.flatnonzero(np.signbit(fmt.values()))]
    if not neg:
        return Const(0, 1)
    return Cat(*(code == c for c in neg)).any()


class FloatAccumulator(wiring.Component):
    """Accumulate exact products into a floating-point register (see the module docstring).

    Parameters
    ----------
    spec
        The accumulator (:class:`~hwgen.golden.float_acc.FloatAccSpec`).
    product
        The product interface (:func:`hwgen.golden.product_spec.product_spec`).
    stages
        Registers outside the accumulation loop, ``0..len(cut_points)``.

    Ports
    -----
    prod : In(signed(product.sig_width))
    shift : In(unsigned(bits_for(product.shift_max)))  (when ``shift_max > 0``)
    prod_neg : In(unsigned(1))
    prod_flags : In(unsigned(3))  (when ``product.specials``)
    valid, clear : In(unsigned(1))
    acc : Out(unsigned(spec.fmt.bits))
        The accumulator code (register, reset to +0); a product presented on a cycle is in
        ``acc`` after ``latency`` rising edges.
    """

    def __init__(self, *, spec: FloatAccSpec, product: ProductSpec, stages: int = 0) -> None:
        if not isinstance(spec, FloatAccSpec):
            raise HwgenError(f"spec must be a FloatAccSpec, not {type(spec).__name__}")
        if not isinstance(product, ProductSpec):
            raise HwgenError(f"product must be a ProductSpec, not {type(product).__name__}")
        fmt = spec.fmt
        if fmt.specials is SpecialPolicy.NONE and product.specials:
            raise HwgenError(
                f"accumulator format {fmt.name} has no NaN or inf codes, but the products can"
                " be NaN or infinite; choose a format with specials"
            )
        if isinstance(stages, bool) or not isinstance(stages, int):
            raise HwgenError(f"stages must be an integer, not {stages!r}")
        self.cut_points = spec.cut_points
        if not 0 <= stages <= len(self.cut_points):
            raise HwgenError(
                f"stages must be in 0..{len(self.cut_points)} for a {spec.rounding} float"
                f" accumulator (cut points {', '.join(self.cut_points)}), not {stages}"
            )
        self.spec, self.product, self.stages = spec, product, stages
        self.fmt = fmt
        self.pm = product.mag_bits
        self.py = self.pm if spec.fused else fmt.man_bits + 1
        self.window = max(fmt.man_bits + 5, self.py + 3)
        members: dict[str, wiring.Member] = {"prod": In(signed(product.sig_width))}
        if product.shift_max:
            members["shift"] = In(unsigned(bits_for(product.shift_max)))
        members["prod_neg"] = In(unsigned(1))
        if product.specials:
            members["prod_flags"] = In(unsigned(3))
        members |= {
            "valid": In(unsigned(1)),
            "clear": In(unsigned(1)),
            "acc": Out(unsigned(fmt.bits)),
        }
        super().__init__(wiring.Signature(members))

    @property
    def latency(self) -> int:
        """Rising edges from presenting a product until ``acc`` includes it."""
        return 1 + self.stages

    # ------------------------------------------------------------------ widths
    def _exp_shape(self) -> signed:
        fmt, p = self.fmt, self.product
        assert fmt.bias is not None  # MinifloatFormat resolves the default bias
        c = p.lsb_exp + self.pm - 1 + fmt.bias
        lo = min(p.lsb_exp + fmt.bias, 1) - 2 * self.window - 4
        hi = max(p.shift_max + c, (1 << fmt.exp_bits)) + 2
        return signed(signed_width(lo - hi, hi - lo))

    # ------------------------------------------------------------------ pieces
    def _reg(self, m: Module, name: str, values: dict[str, Value]) -> dict[str, Value]:
        out = {}
        for key, v in values.items():
            r = Signal(v.shape(), name=f"{name}_{key}")
            m.d.sync += r.eq(v)
            out[key] = r
        return out

    def _normalise(self, m: Module, d: dict[str, Value]) -> dict[str, Value]:
        """|prod|, leading zeros, left shift and the biased exponent of the leading bit."""
        fmt, p, pm = self.fmt, self.product, self.pm
        prod = d["prod"]
        neg = prod[-1]
        mag = Signal(unsigned(pm), name="p_mag")
        m.d.comb += mag.eq(Mux(neg, -prod, prod)[:pm])
        lz = leading_zeros(m, mag, name="p_lz")
        sig = shift_left(m, mag, lz[: bits_for(pm - 1)] if pm > 1 else Const(0, 1), name="p_norm")
        zero = Signal(name="p_zero")
        m.d.comb += zero.eq(~mag.any())
        eshape = self._exp_shape()
        exp = Signal(eshape, name="p_exp")
        assert fmt.bias is not None  # MinifloatFormat resolves the default bias
        c = p.lsb_exp + pm - 1 + fmt.bias
        shift = d["shift"] if "shift" in d else Const(0, 1)
        # A zero (or special) product takes the zero accumulator's slot exponent 1, so it
        # never displaces the accumulator in the alignment.
        base = Signal(eshape, name="p_exp_base")
        m.d.comb += base.eq(shift + Const(c, signed(bits_for(abs(c)) + 1)))
        raw = Signal(eshape, name="p_exp_raw")
        m.d.comb += raw.eq(base - lz)
        m.d.comb += exp.eq(Mux(zero, 1, raw))
        out = {
            "neg": Mux(zero, d["prod_neg"], neg),
            "sig": sig,
            "exp": exp,
            "zero": zero,
            "valid": d["valid"],
            "clear": d["clear"],
        }
        if "prod_flags" in d:
            f = d["prod_flags"]
            out["nan"] = f[FLAG_BITS["nan"]]
            out["inf"] = (f[FLAG_BITS["pinf"]] | f[FLAG_BITS["ninf"]]) & ~f[FLAG_BITS["nan"]]
        return out

    def _pack(
        self,
        m: Module,
        name: str,
        *,
        win: Value,
        exp: Value,
        neg: Value,
        extra_sticky: Value,
        zero: Value,
        zero_neg: Value,
        nan: Value,
        inf: Value,
        inf_neg: Value,
    ) -> Value:
        """Round a left-justified magnitude ``win`` (leading slot at the top, biased slot
        exponent ``exp``) to the nearest even code; overflow, flush, zero and specials."""
        fmt = self.fmt
        mb, n = fmt.man_bits, len(win)
        mant = win[n - 1 - mb :]
        rnd = win[n - 2 - mb]
        st = win[: n - 2 - mb].any() | extra_sticky if n - 2 - mb > 0 else extra_sticky
        up = rnd & (st | mant[0])
        mshape = signed(len(exp) + mb + 2)
        magcode = Signal(mshape, name=f"{name}_magcode")
        m.d.comb += magcode.eq(((exp - 1) << mb) + mant + up)
        result: Value = magcode
        if not fmt.subnormals:
            # Below the smallest normal only 0 and 2**emin exist: round at that bit, ties to 0.
            sub_up = win[n - 2] & (win[: n - 2].any() | extra_sticky)
            result = Mux(win[n - 1], magcode, Mux(sub_up, 1 << mb, 0))
        tiny = Const(0, 1)
        if self.spec.flush:
            tiny = magcode < (1 << mb)
        maxc = fmt._max_magcode
        sign_bit = 1 << (fmt.bits - 1)
        over = result > maxc
        if fmt.specials is SpecialPolicy.IEEE:
            over_code = ((1 << fmt.exp_bits) - 1) << mb
        elif fmt.specials is SpecialPolicy.FN:
            over_code = -1  # NaN, below
        else:
            over_code = maxc
        finite = Signal(unsigned(fmt.bits), name=f"{name}_finite")
        m.d.comb += finite.eq(Cat(result[: fmt.bits - 1], neg))
        code = Signal(unsigned(fmt.bits), name=f"{name}_code")
        nan_code = fmt.canonical_nan if fmt.canonical_nan is not None else 0
        to_nan = (nan | over) if fmt.specials is SpecialPolicy.FN else nan
        with m.If(to_nan):
            m.d.comb += code.eq(nan_code)
        with m.Elif(inf):
            m.d.comb += code.eq(Cat(Const(((1 << fmt.exp_bits) - 1) << mb, fmt.bits - 1), inf_neg))
        with m.Elif(zero):
            m.d.comb += code.eq(Mux(zero_neg, sign_bit, 0))
        with m.Elif(tiny):
            m.d.comb += code.eq(Mux(neg, sign_bit, 0))
        with m.Elif(over):
            m.d.comb += code.eq(Cat(Const(max(over_code, 0), fmt.bits - 1), neg))
        with m.Else():
            m.d.comb += code.eq(finite)
        return code

    def _round_product(self, m: Module, d: dict[str, Value]) -> dict[str, Value]:
        """Unfused: the normalised product rounded once to the accumulator format."""
        fmt, pm = self.fmt, self.pm
        k = max(pm, fmt.man_bits + 2)
        win = Cat(Const(0, unsigned(k - pm)), d["sig"]) if k > pm else d["sig"]
        exp = d["exp"]
        sticky: Value = Const(0, 1)
        if not self.spec.flush:
            # Below the smallest normal: denormalise to the slot exponent 1.
            amount_w = bits_for(k)
            gap = Signal(self._exp_shape(), name="pr_gap")
            m.d.comb += gap.eq(1 - exp)
            amount = Signal(unsigned(amount_w), name="pr_amount")
            m.d.comb += amount.eq(Mux(gap <= 0, 0, Mux(gap >= k, k, gap[:amount_w])))
            win, sticky = shift_right_sticky(m, win, amount, name="pr_denorm")
            e1 = Signal(self._exp_shape(), name="pr_exp")
            m.d.comb += e1.eq(Mux(gap > 0, 1, exp))
            exp = e1
        nan = d.get("nan", Const(0, 1))
        inf = d.get("inf", Const(0, 1))
        if fmt.specials is not SpecialPolicy.IEEE:
            nan, inf = nan | inf, Const(0, 1)
        code = self._pack(
            m, "pr", win=win, exp=exp, neg=d["neg"], extra_sticky=sticky, zero=d["zero"],
            zero_neg=d["neg"], nan=nan, inf=inf, inf_neg=d["neg"],
        )  # fmt: skip
        return {"code": code, "valid": d["valid"], "clear": d["clear"]}

    def _unpack(self, m: Module, name: str, code: Value) -> dict[str, Value]:
        fmt = self.fmt
        e, mb = fmt.exp_bits, fmt.man_bits
        ef = code[mb : mb + e]
        mf = code[:mb]
        normal = ef.any()
        if not fmt.subnormals and mb:
            mf = mf & normal.replicate(mb)
        sig = Cat(mf, normal) if mb else normal
        exp = Signal(self._exp_shape(), name=f"{name}_exp")
        m.d.comb += exp.eq(Mux(normal, ef, 1))
        nan: Value = Const(0, 1)
        inf: Value = Const(0, 1)
        if fmt.specials is SpecialPolicy.IEEE:
            top = ef.all()
            mant_nz = code[:mb].any()
            nan, inf = top & mant_nz, top & ~mant_nz
        elif fmt.specials is SpecialPolicy.FN:
            nan = code[: e + mb].all()
        return {"neg": code[-1], "sig": sig, "exp": exp, "nan": nan, "inf": inf}

    def _loop(self, m: Module, d: dict[str, Value]) -> None:
        """The accumulation loop: one add-normalise-round per cycle into ``acc``."""
        fmt, n = self.fmt, self.window
        sign_bit = 1 << (fmt.bits - 1)
        if self.spec.fused:
            y = {
                "neg": d["neg"], "sig": d["sig"], "exp": d["exp"],
                "nan": d.get("nan", Const(0, 1)), "inf": d.get("inf", Const(0, 1)),
            }  # fmt: skip
        else:
            y = self._unpack(m, "y", d["code"])
        # clear with valid: start from a zero of the product's sign (the result is then
        # round(p) itself, -0 for a negative zero product).
        x_code = Signal(unsigned(fmt.bits), name="x_code")
        m.d.comb += x_code.eq(Mux(d["clear"], Mux(y["neg"], sign_bit, 0), self.acc))
        x = self._unpack(m, "x", x_code)

        def place(sig: Value) -> Value:
            # Leading slot at position n - 2 (position n - 1 only ever holds the carry).
            pad = n - 1 - len(sig)
            return Cat(Const(0, unsigned(pad)), sig) if pad else sig

        xv, yv = place(x["sig"]), place(y["sig"])
        eshape = self._exp_shape()
        diff = Signal(eshape, name="e_diff")
        m.d.comb += diff.eq(x["exp"] - y["exp"])
        swap = diff < 0
        big_exp = Signal(eshape, name="e_big")
        m.d.comb += big_exp.eq(Mux(swap, y["exp"], x["exp"]))
        dist_w = bits_for(n)
        dist = Signal(unsigned(dist_w), name="e_dist")
        ndiff = Signal(eshape, name="e_ndiff")
        m.d.comb += ndiff.eq(y["exp"] - x["exp"])
        mag_diff = Mux(swap, ndiff, diff)
        m.d.comb += dist.eq(Mux(mag_diff >= n, n, mag_diff[:dist_w]))
        big = Signal(unsigned(n - 1), name="a_big")
        small = Signal(unsigned(n - 1), name="a_small")
        m.d.comb += [big.eq(Mux(swap, yv, xv)), small.eq(Mux(swap, xv, yv))]
        big_neg = Mux(swap, y["neg"], x["neg"])
        sub = Signal(name="a_sub")  # effective subtraction
        m.d.comb += sub.eq(x["neg"] ^ y["neg"])
        shifted, lost = shift_right_sticky(m, small, dist, name="a_align")
        aligned = Signal(unsigned(n - 1), name="a_aligned")
        m.d.comb += aligned.eq(Cat(shifted[0] | lost, shifted[1:]))
        # big + (sub ? -aligned : aligned) in n + 1 bits (|sum| < 2**n), as one adder:
        # the subtrahend is inverted and the carry-in set.
        addend = Signal(unsigned(n + 1), name="a_addend")
        m.d.comb += addend.eq(Cat(aligned ^ sub.replicate(n - 1), sub.replicate(2)))
        total = Signal(signed(n + 1), name="a_sum")
        m.d.comb += total.eq(Cat(big, Const(0, 2)) + addend + sub)
        rneg = total[-1]
        mag = Signal(unsigned(n), name="a_mag")
        m.d.comb += mag.eq(Mux(rneg, -total, total)[:n])
        lz = leading_zeros(m, mag, name="a_lz")
        s_w = bits_for(n - 1)
        s = Signal(unsigned(s_w), name="a_nshift")
        if self.spec.flush:
            m.d.comb += s.eq(Mux(lz >= n, n - 1, lz[:s_w]))
        else:
            # Keep the exponent >= 1: a smaller result is a subnormal (leading bit clear).
            limit = Mux(big_exp >= n - 1, n - 1, big_exp[:s_w])
            m.d.comb += s.eq(Mux(lz < limit, lz, limit))
        norm = shift_left(m, mag, s, name="a_norm")
        res_exp = Signal(eshape, name="a_exp")
        m.d.comb += res_exp.eq(big_exp + 1 - s)
        nan = x["nan"] | y["nan"] | (x["inf"] & y["inf"] & sub)
        inf = (x["inf"] | y["inf"]) & ~nan
        inf_neg = Mux(x["inf"], x["neg"], y["neg"])
        if fmt.specials is not SpecialPolicy.IEEE:
            nan, inf = nan | inf, Const(0, 1)
        code = self._pack(
            m, "a", win=norm, exp=res_exp, neg=big_neg ^ rneg, extra_sticky=Const(0, 1),
            zero=~mag.any(), zero_neg=x["neg"] & y["neg"], nan=nan, inf=inf, inf_neg=inf_neg,
        )  # fmt: skip
        with m.If(d["valid"]):
            m.d.sync += self.acc.eq(code)
        with m.Elif(d["clear"]):
            m.d.sync += self.acc.eq(0)

    def elaborate(self, platform: object) -> Module:
        m = Module()
        cuts = set(self.cut_points[: self.stages])
        d: dict[str, Value] = {
            "prod": self.prod,
            "prod_neg": self.prod_neg,
            "valid": self.valid,
            "clear": self.clear,
        }
        if self.product.shift_max:
            d["shift"] = self.shift
        if self.product.specials:
            d["prod_flags"] = self.prod_flags
        if "input" in cuts:
            d = self._reg(m, "s_in", d)
        d = self._normalise(m, d)
        if "normalised" in cuts:
            d = self._reg(m, "s_norm", d)
        if not self.spec.fused:
            d = self._round_product(m, d)
            if "rounded" in cuts:
                d = self._reg(m, "s_round", d)
        self._loop(m, d)
        return m
