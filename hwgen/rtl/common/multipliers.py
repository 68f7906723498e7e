"""Multipliers: decoded operands -> a signed product and an exponent sum.

Both multipliers produce ``product = prod << (shift + shift_offset)`` in units of
``2**(a.lsb_exp + w.lsb_exp)``, the frame of :func:`hwgen.golden.accumulator_spec`, and
both have the same signature (:func:`multiplier_signature`), so the MAC wires whichever
:data:`MULTIPLIERS` names without knowing which it is:

* :class:`ExactMultiplier` -- significand product and exponent add (no rounding);
* :class:`LMulMultiplier` -- L-Mul (Luo & Sun, arXiv 2410.00907): the mantissa product is
  replaced by a constant, so the "multiplier" is one add of the mantissa fields. Its
  definition (operand flush-to-zero, the offset ``2**-l(m)``, the fixed-point frame)
  follows :mod:`hwgen.golden.lmul` bit for bit.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen._validate import check_int
from hwgen.errors import HwgenError
from hwgen.formats import Format, signed_width
from hwgen.golden import Multiplier
from hwgen.golden.lmul import lmul_frame
from hwgen.rtl.common.decoder import exp_width
from hwgen.rtl.common.util import bits_for, sext, zext


def multiplier_signature(
    a_fmt: Format, w_fmt: Format, *, prod_width: int, shift_max: int
) -> wiring.Signature:
    """The one signature of every multiplier of ``a_fmt x w_fmt``.

    Inputs per operand ``x`` in ``a``, ``w``: ``x_code`` (raw code), ``x_sig`` (decoded
    significand), ``x_exp`` (exponent offset, only when the format has exponents) and
    ``x_special`` (NaN or infinite; 0 for formats without special codes). Outputs:
    ``prod`` (signed) and ``shift`` (only when ``shift_max > 0``). A multiplier reads the
    inputs it needs (its ``reads``); the MAC drives exactly those.
    """
    members: dict[str, wiring.Member] = {}
    for role, fmt in (("a", a_fmt), ("w", w_fmt)):
        members[f"{role}_code"] = In(unsigned(fmt.bits))
        members[f"{role}_sig"] = In(signed(fmt.sig_exp.sig_width))
        if exp_width(fmt):
            members[f"{role}_exp"] = In(unsigned(exp_width(fmt)))
        members[f"{role}_special"] = In(unsigned(1))
    members["prod"] = Out(signed(prod_width))
    if shift_max:
        members["shift"] = Out(unsigned(bits_for(shift_max)))
    return wiring.Signature(members)


def _cap(width: int, max_width: int | None) -> int:
    """``width``, or ``max_width`` when a narrower (wrapping) consumer needs only that many."""
    if max_width is None:
        return width
    check_int("max_width", max_width, 1)
    return min(width, max_width)


def _sig_range(fmt: Format) -> tuple[int, int]:
    sig = fmt.sig_exp.sig
    return int(sig.min()), int(sig.max())


class ExactMultiplier(wiring.Component):
    """Exact product of two decoded operands.

    Parameters
    ----------
    a_fmt, w_fmt
        Operand formats; port widths come from their ``sig_exp``.
    max_width
        Keep only this many low bits of the product (a wrapping accumulator narrower than
        the product needs no more); ``None`` keeps the exact product.
    drop
        Deliver ``floor(product / 2**drop)``: the low bits no accumulator window above the
        product's LSB can see are not brought out (``max_width`` counts the bits kept).
    split
        Pipeline the multiplier (the ``partial`` cut point of
        :attr:`hwgen.design.mac.MacConfig.cut_points`): ``a_sig`` times the low half of
        ``w_sig`` (unsigned) and times its high half (signed) are registered (with the
        exponent sum), and added after the register, so ``prod`` / ``shift`` show the
        product one clock after its operands. Exact for every operand: ``w = hi * 2**k +
        lo``.

    Ports (:func:`multiplier_signature`; ``*_code`` and ``*_special`` are not read)
    -----
    a_sig, w_sig : In(signed)
        Significands from the :class:`~hwgen.rtl.common.decoder.Decoder`.
    a_exp, w_exp : In(unsigned)
        Exponent offsets; present only for a format whose ``exp_max > 0``.
    prod : Out(signed(prod_width))
        ``a_sig * w_sig``; ``prod_width`` is the tightest width holding every product.
    shift : Out(unsigned)
        ``a_exp + w_exp``; present only when ``shift_max > 0``.

    Attributes
    ----------
    prod_range : tuple[int, int]
        Smallest and largest exact product (``prod`` holds it modulo ``2**prod_width`` when
        ``max_width`` cuts it).
    shift_max : int
        Largest value of ``shift``.
    shift_offset : int
        Constant extra left shift of the product (0 here).
    """

    reads: frozenset[str] = frozenset({"sig", "exp"})
    """Inputs of :func:`multiplier_signature` this multiplier reads (per operand)."""

    def __init__(
        self,
        *,
        a_fmt: Format,
        w_fmt: Format,
        max_width: int | None = None,
        drop: int = 0,
        split: bool = False,
    ) -> None:
        self.a_fmt, self.w_fmt = a_fmt, w_fmt
        self.drop = check_int("drop", drop, 0)
        self.split = bool(split)
        (alo, ahi), (wlo, whi) = _sig_range(a_fmt), _sig_range(w_fmt)
        corners = [alo * wlo, alo * whi, ahi * wlo, ahi * whi]
        self.prod_range = (min(corners) >> drop, max(corners) >> drop)
        self.prod_width = _cap(signed_width(*self.prod_range), max_width)
        self.shift_max = a_fmt.sig_exp.exp_max + w_fmt.sig_exp.exp_max
        self.shift_offset = 0
        self.a_exp_width, self.w_exp_width = exp_width(a_fmt), exp_width(w_fmt)
        super().__init__(
            multiplier_signature(a_fmt, w_fmt, prod_width=self.prod_width, shift_max=self.shift_max)
        )

    @staticmethod
    def offset_for(a_fmt: Format, w_fmt: Format) -> int:
        """The constant extra left shift of an exact product: 0."""
        return 0

    def elaborate(self, platform: object) -> Module:
        m = Module()
        # The natural product width is len(a) + len(b); the top bit is a copy of the sign
        # when the most negative significands cannot meet (e.g. minifloats), and the
        # slice lets synthesis drop it.
        # A product kept modulo 2**prod_width depends only on that many low operand bits;
        # cutting wider operands first keeps the multiplier no wider than its result.
        a_sig, w_sig = self.a_sig, self.w_sig
        need = self.prod_width + self.drop
        if len(a_sig) > need:
            a_sig = a_sig[:need].as_signed()
        if len(w_sig) > need:
            w_sig = w_sig[:need].as_signed()
        if self.split and len(w_sig) >= 2:
            self._split(m, a_sig, w_sig, need)
            return m
        full = a_sig * w_sig
        _floor_shift(m, full, self.drop, self.prod)
        if self.shift_max:
            m.d.comb += self.shift.eq(_exp_sum(self))
        return m

    def _split(self, m: Module, a_sig: Value, w_sig: Value, need: int) -> None:
        """Registered partial products ``a * lo`` and ``a * hi``, summed after the register."""
        k = len(w_sig) // 2
        lo, hi = w_sig[:k], w_sig[k:].as_signed()  # w = hi * 2**k + lo, lo unsigned
        pp_lo = a_sig * lo
        pp_hi = a_sig * hi
        r_lo = Signal(signed(min(len(pp_lo), need)), name="pp_lo")
        r_hi = Signal(signed(max(1, min(len(pp_hi), need - k))), name="pp_hi")
        m.d.sync += [r_lo.eq(pp_lo), r_hi.eq(pp_hi)]
        width = need
        total = sext(r_lo, width) + Cat(Const(0, unsigned(k)), r_hi).as_signed()
        _floor_shift(m, total[:width].as_signed(), self.drop, self.prod)
        if self.shift_max:
            r_shift = Signal(self.shift.shape(), name="pp_shift")
            m.d.sync += r_shift.eq(_exp_sum(self))
            m.d.comb += self.shift.eq(r_shift)


def _floor_shift(m: Module, value: Value, drop: int, prod: Value) -> None:
    """``prod := floor(value / 2**drop)`` (``prod`` the narrower port; low bits dropped).

    The ``drop`` low bits land in a signal named ``*_unused``: they are computed (a
    product's high bits need them) but not read, and Verilator's default
    ``--unused-regexp`` (``*unused*``) is its own convention for such bits.
    """
    if not drop:
        m.d.comb += prod.eq(value)
        return
    low = Signal(unsigned(drop), name="lsbs_unused")
    width = drop + len(prod)
    m.d.comb += Cat(low, prod).eq(value[:width] if len(value) > width else sext(value, width))


def _exp_sum(unit: ExactMultiplier | LMulMultiplier) -> Value:
    """``a_exp + w_exp`` over the exponent ports that exist."""
    if unit.a_exp_width and unit.w_exp_width:
        return unit.a_exp + unit.w_exp
    return unit.a_exp if unit.a_exp_width else unit.w_exp


class LMulMultiplier(wiring.Component):
    """L-Mul approximate product of two minifloat codes (arXiv 2410.00907).

    With ``M = max(ma, mw)`` and ``l = l(min(ma, mw))``
    (:func:`hwgen.golden.lmul.lmul_offset_exponent`), a product of normal operands is
    ``S = 2**M + Fa*2**(M-ma) + Fw*2**(M-mw) + 2**(M-l)`` (``Fa``, ``Fw`` the mantissa
    fields), negated when the signs differ, shifted left by ``a_exp + w_exp`` plus the
    constant :attr:`shift_offset` ``= min(ma, mw)``. Zero, subnormal and special operands
    give a zero product (flush to zero, as in :mod:`hwgen.golden.lmul`).

    Parameters
    ----------
    a_fmt, w_fmt
        Minifloat formats (:class:`~hwgen.errors.HwgenError` otherwise).
    max_width, drop
        As for :class:`ExactMultiplier`.
    split
        Must be ``False``: L-Mul has no partial products (one add of the mantissa fields).

    Ports (:func:`multiplier_signature`; ``*_sig`` is not read)
    -----
    a_code, w_code : In
        Raw operand codes (the fields are read directly).
    a_exp, w_exp : In(unsigned)
        Exponent offsets from the decoders (present when ``exp_max > 0``).
    a_special, w_special : In(unsigned(1))
        The operand is NaN or infinite (tie to 0 for formats without specials).
    prod : Out(signed(prod_width))
        The signed L-Mul significand ``+-S`` (0 when flushed).
    shift : Out(unsigned)
        ``a_exp + w_exp`` (present when ``shift_max > 0``).
    """

    reads: frozenset[str] = frozenset({"code", "special", "exp"})
    """Inputs of :func:`multiplier_signature` this multiplier reads (per operand)."""

    def __init__(
        self,
        *,
        a_fmt: Format,
        w_fmt: Format,
        max_width: int | None = None,
        drop: int = 0,
        split: bool = False,
    ) -> None:
        if split:
            # The L-Mul "product" is one add of mantissa fields: nothing to split.
            raise HwgenError("split=True needs an exact multiplier; L-Mul has no partial products")
        frame = lmul_frame(a_fmt, w_fmt)
        self.a_fmt, self.w_fmt = a_fmt, w_fmt
        self.drop = check_int("drop", drop, 0)
        self.big_m = frame.big_m
        self.correction = frame.correction
        smax = frame.sig_bound
        self.prod_range = (-smax >> drop, smax >> drop)
        self.prod_width = _cap(signed_width(-smax, smax), max_width)
        self.shift_max = a_fmt.sig_exp.exp_max + w_fmt.sig_exp.exp_max
        self.shift_offset = self.offset_for(a_fmt, w_fmt)
        self.a_exp_width, self.w_exp_width = exp_width(a_fmt), exp_width(w_fmt)
        super().__init__(
            multiplier_signature(a_fmt, w_fmt, prod_width=self.prod_width, shift_max=self.shift_max)
        )

    @staticmethod
    def offset_for(a_fmt: Format, w_fmt: Format) -> int:
        """The constant extra left shift of an L-Mul product, ``min(ma, mw)``."""
        return lmul_frame(a_fmt, w_fmt).shift_offset

    def elaborate(self, platform: object) -> Module:
        m = Module()
        big_m = self.big_m
        fields: list[Value | None] = []
        normal = []
        signs = []
        for fmt, code, special in (
            (self.a_fmt, self.a_code, self.a_special),
            (self.w_fmt, self.w_code, self.w_special),
        ):
            e, man = fmt.exp_bits, fmt.man_bits  # type: ignore[attr-defined]  # float (lmul_frame)
            # Mantissa field aligned to M fraction bits.
            if man == 0:
                fields.append(None)
            elif man == big_m:
                fields.append(code[:man])
            else:
                fields.append(Cat(Const(0, unsigned(big_m - man)), code[:man]))
            normal.append(code[man : man + e].any() & ~special)
            signs.append(code[e + man])
        width = big_m + 2  # S < 2**(M + 2)
        mag = Const((1 << big_m) + self.correction, unsigned(width))
        for f in fields:
            if f is not None:
                mag = mag + zext(f, width)
        live = normal[0] & normal[1]
        # The sum's carry-out above bit M + 1 is always 0 (S < 2**(M + 2)).
        smag = mag[:width]
        with m.If(live):
            signed_s = Mux(signs[0] ^ signs[1], -smag, smag)
            _floor_shift(m, signed_s, self.drop, self.prod)
        if self.shift_max:
            m.d.comb += self.shift.eq(_exp_sum(self))
        return m


MULTIPLIERS: dict[Multiplier, type[ExactMultiplier] | type[LMulMultiplier]] = {
    Multiplier.EXACT: ExactMultiplier,
    Multiplier.LMUL: LMulMultiplier,
}
"""The multiplier component of each :class:`hwgen.golden.Multiplier` option."""
