"""Building blocks of the float accumulator: leading-zero count and shifters.

Every helper adds named signals to the module, so the expression trees (and the simulator's
work) stay linear in the width, and returns Values of exactly stated widths.
"""

from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, unsigned

from hwgen.rtl.common.util import bits_for


def leading_zeros(m: Module, v: Value, *, name: str) -> Value:
    """Number of leading zeros of ``v`` (``len(v)`` when ``v == 0``), a log-depth tree.

    ``v`` is padded below with a single one (and zeros) to a power of two, so the padded
    vector is never zero and its leading-zero count is exactly that of ``v``, capped at
    ``len(v)``.
    """
    n = len(v)
    p = 2
    while p < n + 1:
        p *= 2
    padded = (
        Cat(Const(0, unsigned(p - n - 1)), Const(1, 1), v) if p - n - 1 else Cat(Const(1, 1), v)
    )

    def rec(x: Value, level: str) -> tuple[Value, Value]:
        k = len(x)
        if k == 2:
            return ~x[1], ~(x[0] | x[1])
        hi_c, hi_z = rec(x[k // 2 :], level + "h")
        lo_c, lo_z = rec(x[: k // 2], level + "l")
        cnt = Signal(unsigned(bits_for(k - 1)), name=f"{name}_c{level}")
        zero = Signal(name=f"{name}_z{level}")
        m.d.comb += [cnt.eq(Mux(hi_z, Cat(lo_c, Const(1, 1)), Cat(hi_c, Const(0, 1)))),
                     zero.eq(hi_z & lo_z)]  # fmt: skip
        return cnt, zero

    cnt, _ = rec(padded, "")
    out = Signal(unsigned(bits_for(n)), name=name)
    m.d.comb += out.eq(cnt)
    return out


def shift_left(m: Module, v: Value, amount: Value, *, name: str) -> Value:
    """``(v << amount) mod 2**len(v)`` by a logarithmic shifter (unsigned).

    Every stage is ``len(v)`` bits (a normaliser: the bits shifted out are zeros by
    construction). The signed shifter of the fixed-point datapath,
    :func:`hwgen.rtl.common.util.shift_left`, widens its stages instead; the two build
    different netlists, so neither stands in for the other without changing the Verilog.
    """
    n = len(v)
    x = v
    for i in range(len(amount)):
        k = 1 << i
        shifted = Cat(Const(0, unsigned(k)), x[: n - k]) if k < n else Const(0, unsigned(n))
        stage = Signal(unsigned(n), name=f"{name}_{i}")
        m.d.comb += stage.eq(Mux(amount[i], shifted, x))
        x = stage
    return x


def shift_right_sticky(m: Module, v: Value, amount: Value, *, name: str) -> tuple[Value, Value]:
    """``v >> amount`` (unsigned, same width) and the OR of every bit shifted out."""
    n = len(v)
    x: Value = v
    sticky: Value = Const(0, 1)
    for i in range(len(amount)):
        k = 1 << i
        if k < n:
            shifted = Cat(x[k:], Const(0, unsigned(k)))
            lost = x[:k].any()
        else:
            shifted = Const(0, unsigned(n))
            lost = x.any()
        stage = Signal(unsigned(n), name=f"{name}_{i}")
        st = Signal(name=f"{name}_st{i}")
        m.d.comb += [stage.eq(Mux(amount[i], shifted, x)), st.eq(sticky | (amount[i] & lost))]
        x, sticky = stage, st
    return x, sticky
