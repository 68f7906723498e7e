"""Small helpers shared by the hardware generators: widths, width-clean expressions, signatures.

Generated Verilog must pass ``verilator --lint-only -Wall`` without warnings. Amaranth
narrows an operand that is only a sign extension of a narrower value back to that value,
so an explicit extension only survives as the input of an operator whose result has the
full width (a ``Mux``, a concatenation feeding one). The helpers here build such values.
"""

from __future__ import annotations

from collections.abc import Iterable

from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hwgen.design.base import Port, PortDir, Role


def bits_for(value: int) -> int:
    """Width of an unsigned field holding every integer in ``[0, value]`` (at least 1)."""
    return max(1, int(value).bit_length())


def sext(value: Value, width: int) -> Value:
    """``value`` read as signed and sign-extended to exactly ``width`` bits (a signed value)."""
    n = len(value)
    if width < n:
        raise ValueError(f"cannot sign-extend a {n}-bit value to {width} bits")
    if width == n:
        return value.as_signed()
    return Cat(value, value[n - 1].replicate(width - n)).as_signed()


def zext(value: Value, width: int) -> Value:
    """``value`` zero-extended to exactly ``width`` bits (an unsigned value)."""
    n = len(value)
    if width < n:
        raise ValueError(f"cannot zero-extend a {n}-bit value to {width} bits")
    if width == n:
        return value.as_unsigned()
    return Cat(value, Const(0, unsigned(width - n)))


def delay_line(m: Module, x: Value, n: int, name: str) -> list[Value]:
    """``[x, x delayed 1 cycle, ..., x delayed n cycles]`` (n registers in the sync domain).

    Register ``k`` is the signal ``<name>_d<k>``: the systolic arrays build their input
    skew and PE-to-PE hops from these lines.
    """
    taps = [x]
    for k in range(1, n + 1):
        r = Signal(len(x), name=f"{name}_d{k}")
        m.d.sync += r.eq(taps[-1])
        taps.append(r)
    return taps


def shift_left(
    m: Module, value: Value, amount: Value, *, width: int, name: str, drop: int = 0
) -> Value:
    """``value`` (signed) shifted left by the unsigned ``amount``, kept to ``width`` bits.

    A logarithmic shifter built from one 2:1 multiplexer per bit of ``amount``. Each stage
    is exactly as wide as the values it can produce (capped at ``width``), so every input
    bit is read and no result bit is dropped: the generated Verilog stays lint-clean,
    which Amaranth's ``<<`` (its result is ``2**len(amount) - 1`` bits wider) would not.
    Every stage is a named signal of ``m`` (``<name>_<i>``): reusing a stage expression in
    both multiplexer inputs would otherwise grow the expression tree exponentially.
    ``value`` must not be wider than ``width``; the result is taken modulo ``2**width``
    (exact when the shifted value fits, which the callers size for).

    ``drop > 0`` returns ``floor(result / 2**drop)`` (``width - drop`` bits, at least 1):
    the last stage's low ``drop`` bits go to a signal ``<name>_lsbs_unused``, computed by
    the last multiplexer but never read (Verilator's default ``--unused-regexp``).

    The float accumulator's fixed-width unsigned normaliser is
    :func:`hwgen.rtl.common.fpparts.shift_left`.
    """
    if len(value) > width:
        raise ValueError(f"a {len(value)}-bit value does not fit a {width}-bit shifter")
    x = value.as_signed()
    # While no bit is lost, every stage's sign bit is the input's sign bit: the stages hold
    # only the bits below it (``body``), so no stage has a redundant copy of the sign that
    # synthesis would bypass and leave unread. Once a stage is capped at ``width`` (a
    # wrapping accumulator), its top bit is a real result bit and the stage holds it.
    sign = x[-1]
    shared = len(x) > 1
    body: Value = x[:-1] if shared else x
    for i in range(len(amount)):
        step = 1 << i
        cur = Cat(body, sign).as_signed() if shared else body.as_signed()
        nxt = min(len(cur) + step, width)
        if shared and nxt == len(cur) + step:
            keep = nxt - 1
            kept = Cat(body, sign.replicate(keep - len(body)))
        else:
            shared = False
            keep = nxt
            kept = sext(cur, nxt)
        if step >= keep:
            shifted: Value = Const(0, unsigned(keep))
        else:
            shifted = Cat(Const(0, unsigned(step)), cur[: keep - step])
        last = i == len(amount) - 1
        if last and 0 < drop < keep:
            low = Signal(unsigned(drop), name=f"{name}_lsbs_unused")
            stage = Signal(unsigned(keep - drop), name=f"{name}_{i}")
            m.d.comb += Cat(low, stage).eq(Mux(amount[i], shifted, kept))
            full = Cat(stage, sign) if shared else stage
            return sext(full, max(1, width - drop))
        if last and drop >= keep:
            low = Signal(unsigned(keep), name=f"{name}_lsbs_unused")
            m.d.comb += low.eq(Mux(amount[i], shifted, kept))
            top = sign if shared else low[-1]
            return sext(Cat(top), max(1, width - drop))
        stage = Signal(unsigned(keep), name=f"{name}_{i}")
        m.d.comb += stage.eq(Mux(amount[i], shifted, kept))
        body = stage
    if drop:
        full = Cat(body, sign) if shared else body
        return sext(full[drop:] if len(full) > drop else full[-1:], max(1, width - drop))
    return sext(Cat(body, sign) if shared else body, width)


def signature_of(ports: Iterable[Port]) -> wiring.Signature:
    """The component signature of a config's ports (``clk``/``rst`` are Amaranth's own).

    Every family component builds its signature here from ``config.ports()``, so the
    manifest's port list and the Verilog module header come from one description.
    """
    members: dict[str, wiring.Member] = {}
    for p in ports:
        if p.role in (Role.CLK, Role.RST):
            continue
        shape = signed(p.width) if p.signed else unsigned(p.width)
        members[p.name] = (In if p.dir is PortDir.IN else Out)(shape)
    return wiring.Signature(members)
