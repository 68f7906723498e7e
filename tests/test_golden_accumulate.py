"""The cycle-by-cycle MAC model against a literal Python loop and hand-checked cases."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.formats import Format, get
from hwgen.golden import (
    AccumulatorSpec,
    Flag,
    Multiplier,
    Overflow,
    accumulator_spec,
    lmul_product_ints,
    mac_trace,
    product_flags,
)

FORMATS = ["int8", "uint4", "fp4_e2m1", "fp8_e4m3", "fp8_e5m2", "bitmod_fp3_er_pos"]
FLOATS = ["fp4_e2m1", "fp6_e3m2", "fp8_e4m3", "fp8_e5m2"]


def ref_trace(
    a: Format,
    ca: list[int],
    w: Format,
    cw: list[int],
    valid: list[bool],
    clear: list[bool],
    spec: AccumulatorSpec,
    policy: Overflow,
    multiplier: Multiplier = Multiplier.EXACT,
) -> tuple[list[int], list[int]] | int:
    """The docs/hardware.md table, one cycle at a time; returns the overflow cycle for EXACT."""
    if multiplier is Multiplier.LMUL:
        lm = lmul_product_ints(a, ca, w, cw)
        unit = Fraction(2) ** lm.lsb_exp
        prods = [Fraction(int(x)) * unit for x in lm.ints]
    else:
        prods = [
            Fraction(float(a.values()[i])) * Fraction(float(w.values()[j])) if f == 0 else None
            for i, j, f in zip(ca, cw, product_flags(a, ca, w, cw).tolist(), strict=True)
        ]
    pflags = product_flags(a, ca, w, cw).tolist()
    acc, flags, accs, fl = 0, 0, [], []
    lo, hi = -(2 ** (spec.bits - 1)), 2 ** (spec.bits - 1) - 1
    for t, (v, c) in enumerate(zip(valid, clear, strict=True)):
        p = 0
        if pflags[t] == 0 and prods[t] is not None:
            q = prods[t] / Fraction(2) ** spec.lsb_exp
            assert q.denominator == 1
            p = int(q)
        if v and c:
            new, flags = p, pflags[t]
        elif v:
            new, flags = acc + p, flags | pflags[t]
        elif c:
            new, flags = 0, 0
        else:
            new = acc
        if flags & Flag.PINF and flags & Flag.NINF:
            flags |= Flag.NAN
        if policy is Overflow.WRAP:
            new = (new - lo) % 2**spec.bits + lo
        elif policy is Overflow.SATURATE:
            new = min(max(new, lo), hi)
        elif not lo <= new <= hi:
            return t
        acc = new
        accs.append(acc)
        fl.append(flags)
    return accs, fl


@settings(max_examples=80, deadline=None)
@given(
    a=st.sampled_from(FORMATS),
    w=st.sampled_from(FORMATS),
    policy=st.sampled_from(list(Overflow)),
    data=st.data(),
)
def test_trace_matches_cycle_loop(a: str, w: str, policy: Overflow, data: st.DataObject) -> None:
    fa, fw = get(a), get(w)
    n = data.draw(st.integers(0, 60))
    ca = data.draw(st.lists(st.integers(0, (1 << fa.bits) - 1), min_size=n, max_size=n))
    cw = data.draw(st.lists(st.integers(0, (1 << fw.bits) - 1), min_size=n, max_size=n))
    valid = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    clear = data.draw(st.lists(st.integers(0, 5).map(lambda x: x == 0), min_size=n, max_size=n))
    full = accumulator_spec(fa, fw, 64)
    bits = data.draw(st.integers(2, full.bits + 3))
    spec = AccumulatorSpec(bits=bits, lsb_exp=full.lsb_exp - data.draw(st.integers(0, 3)))
    ref = ref_trace(fa, ca, fw, cw, valid, clear, spec, policy)
    args = (fa, np.array(ca, np.int64), fw, np.array(cw, np.int64), valid, clear)
    if isinstance(ref, int):
        with pytest.raises(HwgenError, match=rf"^accumulator overflow at cycle {ref}: "):
            mac_trace(*args, acc=spec, overflow=policy)
        return
    tr = mac_trace(*args, acc=spec, overflow=policy)
    assert [int(x) for x in tr.acc] == ref[0]
    assert tr.flags.tolist() == ref[1]
    assert tr.acc.dtype == (np.int64 if bits <= 64 else object)


@settings(max_examples=40, deadline=None)
@given(
    a=st.sampled_from(FLOATS),
    w=st.sampled_from(FLOATS),
    policy=st.sampled_from(list(Overflow)),
    data=st.data(),
)
def test_lmul_trace_matches_cycle_loop(
    a: str, w: str, policy: Overflow, data: st.DataObject
) -> None:
    fa, fw = get(a), get(w)
    n = data.draw(st.integers(0, 40))
    ca = data.draw(st.lists(st.integers(0, (1 << fa.bits) - 1), min_size=n, max_size=n))
    cw = data.draw(st.lists(st.integers(0, (1 << fw.bits) - 1), min_size=n, max_size=n))
    valid = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    clear = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    full = accumulator_spec(fa, fw, 64, multiplier=Multiplier.LMUL)
    spec = AccumulatorSpec(bits=data.draw(st.integers(2, full.bits)), lsb_exp=full.lsb_exp)
    ref = ref_trace(fa, ca, fw, cw, valid, clear, spec, policy, Multiplier.LMUL)
    args = (fa, np.array(ca, np.int64), fw, np.array(cw, np.int64), valid, clear)
    if isinstance(ref, int):
        with pytest.raises(HwgenError, match=rf"^accumulator overflow at cycle {ref}: "):
            mac_trace(*args, acc=spec, overflow=policy, multiplier="lmul")
        return
    tr = mac_trace(*args, acc=spec, overflow=policy, multiplier="lmul")
    assert [int(x) for x in tr.acc] == ref[0]
    assert tr.flags.tolist() == ref[1]


def int8_codes(values: list[int]) -> np.ndarray:
    return get("int8").encode(np.array(values, dtype=np.float64))


def test_wrap_and_saturate_by_hand() -> None:
    # 8-bit accumulator, three products of 100: 100, 200 -> -56, 44 / clamp at 127.
    spec = AccumulatorSpec(bits=8, lsb_exp=0)
    a, w = int8_codes([100, 100, 100]), int8_codes([1, 1, 1])
    on, first = [1, 1, 1], [1, 0, 0]
    wrap = mac_trace("int8", a, "int8", w, on, first, acc=spec, overflow=Overflow.WRAP)
    sat = mac_trace("int8", a, "int8", w, on, first, acc=spec, overflow="saturate")
    assert wrap.acc.tolist() == [100, -56, 44]
    assert sat.acc.tolist() == [100, 127, 127]
    with pytest.raises(
        HwgenError,
        match=r"^accumulator overflow at cycle 1: 200 is outside \[-128, 127\] of a 8-bit",
    ):
        mac_trace("int8", a, "int8", w, on, first, acc=spec)


def test_saturate_recovers_from_the_negative_rail() -> None:
    # 6-bit accumulator [-32, 31]: -20, -40 -> -32, -32 + 10 = -22, -22 + 40 = 18.
    spec = AccumulatorSpec(bits=6, lsb_exp=0)
    a, w = int8_codes([-20, -20, 10, 40]), int8_codes([1, 1, 1, 1])
    on, none = [1, 1, 1, 1], [0, 0, 0, 0]
    sat = mac_trace("int8", a, "int8", w, on, none, acc=spec, overflow="saturate")
    wrap = mac_trace("int8", a, "int8", w, on, none, acc=spec, overflow="wrap")
    assert sat.acc.tolist() == [-20, -32, -22, 18]
    assert wrap.acc.tolist() == [-20, 24, -30, 10]


def test_valid_clear_table_by_hand() -> None:
    spec = AccumulatorSpec(bits=16, lsb_exp=0)
    a, w = int8_codes([3, 4, 5, 6, 7, 8]), int8_codes([1] * 6)
    valid = [1, 0, 1, 0, 1, 1]
    clear = [0, 0, 0, 1, 1, 0]
    # add 3; hold; add 5; clear to 0; load 7; add 8
    tr = mac_trace("int8", a, "int8", w, valid, clear, acc=spec)
    assert tr.acc.tolist() == [3, 3, 8, 0, 7, 15]
    assert tr.flags.tolist() == [0] * 6


def test_flags_by_hand() -> None:
    fmt = get("fp8_e5m2")
    one, two, zero = (int(fmt.encode(np.array([x]))[0]) for x in (1.0, 2.0, 0.0))
    pinf, ninf, nan = (int(fmt.encode(np.array([x]))[0]) for x in (np.inf, -np.inf, np.nan))
    a = [pinf, one, ninf, one, nan, two, pinf, one]
    w = [one, one, one, one, one, one, zero, one]
    valid = [1, 1, 1, 0, 1, 1, 1, 0]
    clear = [0, 0, 0, 1, 0, 1, 0, 0]
    spec = accumulator_spec(fmt, fmt, 8)
    tr = mac_trace(fmt, a, fmt, w, valid, clear, acc=spec)
    unit = 2 ** (-spec.lsb_exp)  # integer value of 1.0 in accumulator units
    assert [int(x) for x in tr.acc] == [0, unit, unit, 0, 0, 2 * unit, 2 * unit, 2 * unit]
    both = Flag.PINF | Flag.NINF | Flag.NAN
    assert tr.flags.tolist() == [Flag.PINF, Flag.PINF, both, 0, Flag.NAN, 0, Flag.NAN, Flag.NAN]


def test_flag_bits_match_the_manifest_contract() -> None:
    # docs/hardware.md: bit0 nan, bit1 pinf, bit2 ninf.
    assert [f.bit_length() - 1 for f in (Flag.NAN, Flag.PINF, Flag.NINF)] == [0, 1, 2]


def test_wide_accumulator_is_python_ints() -> None:
    fmt = get("fp8_e5m2")
    spec = accumulator_spec(fmt, fmt, 4)
    big = int(fmt.encode(np.array([fmt.max_value]))[0])
    tr = mac_trace(fmt, [big] * 4, fmt, [big] * 4, [1] * 4, [0] * 4, acc=spec)
    assert tr.acc.dtype == object
    assert tr.to_float().tolist() == [k * fmt.max_value**2 for k in (1, 2, 3, 4)]


def test_long_runs_are_fast() -> None:
    rng = np.random.default_rng(0)
    n = 1 << 20
    a, w = rng.integers(0, 256, n), rng.integers(0, 256, n)
    valid, clear = rng.random(n) < 0.9, rng.random(n) < 1e-3
    spec = accumulator_spec("fp8_e4m3", "fp8_e4m3", 1 << 12)
    mac_trace("fp8_e4m3", a[:10], "fp8_e4m3", w[:10], valid[:10], clear[:10], acc=spec)
    for policy in (Overflow.EXACT, Overflow.WRAP, Overflow.SATURATE):
        times = []
        for _ in range(2):  # CPU time, and one retry: the machine may be shared
            t0 = time.process_time()
            mac_trace("fp8_e4m3", a, "fp8_e4m3", w, valid, clear, acc=spec, overflow=policy)
            times.append(time.process_time() - t0)
            if times[-1] < 1.0:
                break
        assert min(times) < 1.0, (policy, times)


def test_bad_arguments() -> None:
    spec = AccumulatorSpec(bits=16, lsb_exp=0)
    with pytest.raises(HwgenError, match=r"^acc.lsb_exp must be <= -2 \(a.lsb_exp \+ w.lsb_exp\)"):
        mac_trace("fp4_e2m1", [1], "fp4_e2m1", [1], [1], [0], acc=spec)
    with pytest.raises(HwgenError, match=r"^a_codes, w_codes, valid and clear must be 1-D and of"):
        mac_trace("int8", [1, 2], "int8", [1], [1], [0], acc=spec)
    with pytest.raises(HwgenError, match=r"^valid must hold 0 or 1, not 2$"):
        mac_trace("int8", [1], "int8", [1], [2], [0], acc=spec)
    with pytest.raises(HwgenError, match=r"^clear must be booleans or 0/1 integers, not float64"):
        mac_trace("int8", [1], "int8", [1], [1], [0.5], acc=spec)
    with pytest.raises(HwgenError, match=r"^overflow must be one of exact, wrap, saturate, not"):
        mac_trace("int8", [1], "int8", [1], [1], [0], acc=spec, overflow="clip")  # type: ignore[arg-type]
    with pytest.raises(HwgenError, match=r"^acc must be an AccumulatorSpec, not int$"):
        mac_trace("int8", [1], "int8", [1], [1], [0], acc=16)  # type: ignore[arg-type]


@pytest.mark.parametrize("policy", list(Overflow))
@pytest.mark.parametrize("bits", [40, 61, 62, 63, 64, 65, 70])
def test_int64_and_python_int_paths_agree_with_loop(policy: Overflow, bits: int) -> None:
    # fp8_e5m2 products need up to 65 bits: every accumulator width crosses a dtype boundary.
    fmt = get("fp8_e5m2")
    rng = np.random.default_rng(bits)
    n = 300
    finite = np.flatnonzero(fmt.values() == fmt.values())
    big = np.flatnonzero(np.abs(fmt.values()) >= fmt.max_value / 2)
    ca = rng.choice(np.concatenate([finite, big, big]), n)
    cw = rng.choice(np.concatenate([finite, big, big]), n)
    valid, clear = rng.random(n) < 0.95, rng.random(n) < 0.02
    spec = AccumulatorSpec(bits=bits, lsb_exp=2 * fmt.lsb_exp)
    ref = ref_trace(
        fmt, ca.tolist(), fmt, cw.tolist(), valid.tolist(), clear.tolist(), spec, policy
    )
    if isinstance(ref, int):
        with pytest.raises(HwgenError, match=rf"^accumulator overflow at cycle {ref}: "):
            mac_trace(fmt, ca, fmt, cw, valid, clear, acc=spec, overflow=policy)
        return
    tr = mac_trace(fmt, ca, fmt, cw, valid, clear, acc=spec, overflow=policy)
    assert [int(x) for x in tr.acc] == ref[0]
    assert tr.flags.tolist() == ref[1]
