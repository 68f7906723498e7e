"""Float conversion of the accumulator: signed fixed point -> minifloat code, RNE.

The hardware follows :func:`hwgen.golden.acc_to_format` exactly. For an accumulator
value ``v * 2**L`` whose magnitude has its leading one at bit ``i``, the target quantum is
``2**q`` with ``q = max(i + L - m, q_min)`` (``m`` mantissa bits, ``q_min`` the format's
``lsb_exp``), so ``|v|`` is shifted right by ``s = q - L`` bits and rounded to nearest even
from the round bit ``|v|[s-1]`` and the sticky OR of the bits below it. Everything that
depends on ``i`` -- the slice positions and the biased exponent -- is a constant per leading
position, so the converter is a leading-one priority select of constants and bit slices
(no adder on the exponent path, no variable shifter) followed by one incrementer: the
rounding carry runs from the mantissa into the exponent field by itself, as in the
format's own encoder. Out-of-range results, NaN and infinities use the codes the format's
``encode`` gives (inf for IEEE formats, NaN for ``fn``, saturation for formats without
specials).
"""

from __future__ import annotations

import numpy as np
from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen._validate import check_int
from hwgen.errors import HwgenError
from hwgen.formats import Format, MinifloatFormat
from hwgen.golden import FLAG_BITS, FLAG_WIDTH
from hwgen.rtl.common.util import bits_for


def check_out_format(fmt: Format) -> MinifloatFormat:
    """Return ``fmt`` if the converter supports it (a minifloat with subnormals)."""
    if not isinstance(fmt, MinifloatFormat):
        raise HwgenError(f"out_format must be a float format, not {fmt.kind.value} ({fmt.name})")
    if not fmt.subnormals:
        raise HwgenError(
            f"out_format {fmt.name} has no subnormals; the converter needs a format with them"
        )
    return fmt


class FloatConverter(wiring.Component):
    """Round a signed fixed-point value ``acc * 2**lsb_exp`` to the nearest ``fmt`` code.

    Parameters
    ----------
    bits
        Width of the signed ``acc`` input, >= 2.
    lsb_exp
        Weight of ``acc``'s least significant bit.
    fmt
        Target float format (a :class:`~hwgen.formats.MinifloatFormat` with subnormals).
    with_flags
        Add a 3-bit ``flags`` input (``FLAG_BITS`` layout): ``nan`` gives ``encode(nan)``,
        ``pinf`` / ``ninf`` give ``encode(+-inf)``, as ``acc_to_format(..., flags=...)``.

    Ports
    -----
    acc : In(signed(bits))
    flags : In(unsigned(FLAG_WIDTH))  (only with ``with_flags``)
    code : Out(unsigned(fmt.bits))
        Combinational (latency 0).
    """

    def __init__(self, *, bits: int, lsb_exp: int, fmt: Format, with_flags: bool = False) -> None:
        check_int("bits", bits, 2)
        self.fmt = check_out_format(fmt)
        self.bits, self.lsb_exp, self.with_flags = bits, lsb_exp, with_flags
        members: dict[str, wiring.Member] = {"acc": In(signed(bits))}
        if with_flags:
            members["flags"] = In(unsigned(FLAG_WIDTH))
        members["code"] = Out(unsigned(fmt.bits))
        super().__init__(wiring.Signature(members))

    def _code(self, x: float) -> int:
        return int(self.fmt.encode(np.array([x], dtype=np.float64))[0])

    def _positions(self) -> list[tuple[int, int, int]]:
        """Per leading-one position ``i``: ``(i, s_i, E_i)`` -- right shift and biased exponent.

        ``E_i`` is the exponent field of a normal result (the implicit bit lives in it), 0
        for a subnormal one.
        """
        fmt, lsb = self.fmt, self.lsb_exp
        out = []
        for i in range(self.bits):
            s = max(i - fmt.man_bits, fmt.lsb_exp - lsb)
            biased = i + lsb - fmt.emin + 1 if i + lsb >= fmt.emin else 0
            out.append((i, s, biased))
        return out

    def elaborate(self, platform: object) -> Module:
        m = Module()
        fmt, n, man = self.fmt, self.bits, self.fmt.man_bits
        field_bits = fmt.exp_bits + man
        neg = self.acc[n - 1]
        # |acc| in n bits: (acc ^ sign) + sign never carries out of n bits.
        mag = Signal(unsigned(n))
        m.d.comb += mag.eq((self.acc.as_unsigned() ^ neg.replicate(n)) + neg)

        # below[k] = any of mag[0:k] (shared by every sticky bit); above[k] = any of mag[k:].
        # One signal per prefix OR: the simulator's expression trees stay linear, and one
        # vector assigned bit by bit from itself would read as a loop to Verilator.
        below: list[Value] = [Const(0, 1)]
        above: list[Value] = [Const(0, 1)]
        for k in range(n):
            b_k, a_k = Signal(name=f"below_{k + 1}"), Signal(name=f"above_{n - 1 - k}")
            m.d.comb += [b_k.eq(below[-1] | mag[k]), a_k.eq(above[-1] | mag[n - 1 - k])]
            below.append(b_k)
            above.append(a_k)
        above.reverse()  # above[k] = any of mag[k:]
        # One-hot leading one: every per-position constant or slice is selected by AND-OR.
        lead = [mag[i] & ~above[i + 1] for i in range(n)]
        positions = self._positions()

        def select(pick: list[Value | None]) -> Value:
            terms = [lead[i] & v for i, v in enumerate(pick) if v is not None]
            return Cat(*terms).any() if terms else Const(0, 1)

        def bit_or_none(k: int) -> Value | None:
            return mag[k] if 0 <= k < n else None

        e_width = bits_for(max(biased for _, _, biased in positions))
        exp_field = Cat(
            *(
                select([Const(1, 1) if biased >> b & 1 else None for _, _, biased in positions])
                for b in range(e_width)
            )
        )
        frac = [select([bit_or_none(s + j) for _, s, _ in positions]) for j in range(man)]
        r_lsb = select([bit_or_none(s) for _, s, _ in positions])
        rnd = select([bit_or_none(s - 1) for _, s, _ in positions])
        sticky = select([below[min(s - 1, n)] if s >= 2 else None for _, s, _ in positions])
        truncated = Cat(*frac, exp_field)
        max_code = self._code(fmt.max_value) & ((1 << field_bits) - 1)
        # Largest reachable magnitude code (top exponent, all-ones fraction, rounded up):
        # its width sizes the incrementer, and overflow handling exists only if it can occur.
        reach = (max(biased for _, _, biased in positions) << man) + (1 << man)
        magcode = Signal(unsigned(bits_for(reach)))
        m.d.comb += magcode.eq(truncated + (rnd & (sticky | r_lsb)))
        can_overflow = reach > max_code
        if len(magcode) >= field_bits:
            field = magcode[:field_bits]
        else:
            field = Cat(magcode, Const(0, unsigned(field_bits - len(magcode))))
        # A negative value that rounds to zero keeps its sign (-0), as IEEE 754 rounding does.
        sign = neg
        result: Value = Cat(field, sign)
        if can_overflow:
            result = Mux(
                magcode > max_code,
                Mux(neg, self._code(-2.0 * fmt.max_value), self._code(2.0 * fmt.max_value)),
                result,
            )
        if self.with_flags:
            f = self.flags
            # +inf and -inf together are NaN as well (the flag register already says so).
            nan = f[FLAG_BITS["nan"]] | (f[FLAG_BITS["pinf"]] & f[FLAG_BITS["ninf"]])
            result = Mux(
                nan,
                self._code(float("nan")),
                Mux(
                    f[FLAG_BITS["pinf"]],
                    self._code(float("inf")),
                    Mux(f[FLAG_BITS["ninf"]], self._code(float("-inf")), result),
                ),
            )
        m.d.comb += self.code.eq(result)
        return m
