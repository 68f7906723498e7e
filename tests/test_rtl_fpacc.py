# amaranth: UnusedElaboratable=no
"""FloatAccumulator on the Amaranth simulator against ``hwgen.golden.float_acc``."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.sim import Simulator

from hwgen.errors import HwgenError
from hwgen.formats import get_format
from hwgen.golden import Flag
from hwgen.golden.float_acc import FloatAccSpec, float_acc_trace, float_mac_trace
from hwgen.golden.product_spec import product_spec
from hwgen.golden.products import product_terms
from hwgen.rtl.common.fpacc import FloatAccumulator


def _ports(a: str, w: str, ac: np.ndarray, wc: np.ndarray) -> dict[str, np.ndarray]:
    """The product interface for each code pair, from the golden model's exact products."""
    fa, fw = get_format(a), get_format(w)
    t = product_terms(fa, ac.astype(np.intp), fw, wc.astype(np.intp), "exact")
    neg = np.signbit(fa.values()[ac]) ^ np.signbit(fw.values()[wc])
    ps = product_spec(fa, fw)
    out = {"prod": t.sig & ((1 << ps.sig_width) - 1), "prod_neg": neg.astype(np.int64)}
    if ps.shift_max:
        out["shift"] = t.shift
    if ps.specials:
        out["prod_flags"] = t.flags.astype(np.int64)
    return out


def run(acc: FloatAccSpec, a: str, w: str, ac, wc, valid, clear, *, stages: int = 0):
    """Drive one sequence; returns ``acc`` after each cycle's product has landed."""
    ac, wc = np.asarray(ac), np.asarray(wc)
    dut = FloatAccumulator(spec=acc, product=product_spec(a, w), stages=stages)
    ports = _ports(a, w, ac, wc)
    ports["valid"] = np.asarray(valid, dtype=np.int64)
    ports["clear"] = np.asarray(clear, dtype=np.int64)
    n = ac.size
    got: list[int] = []

    async def bench(ctx) -> None:
        for i in range(n + dut.latency - 1):
            for name, vals in ports.items():
                v = int(vals[i]) if i < n else 0
                ctx.set(getattr(dut, name), v)
            await ctx.tick()
            if i >= dut.latency - 1:
                got.append(ctx.get(dut.acc))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return np.array(got, dtype=np.int64)


def check(acc, a, w, ac, wc, valid, clear, *, stages=0):
    want = float_mac_trace(a, ac, w, wc, valid, clear, spec=acc).acc.astype(np.int64)
    got = run(acc, a, w, ac, wc, valid, clear, stages=stages)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, (
        f"cycle {bad[0]}: got {got[bad[0]]:#x}, want {want[bad[0]]:#x}"
        f" (a={int(np.ravel(ac)[bad[0]]):#x}, w={int(np.ravel(wc)[bad[0]]):#x})"
    )


def random_seq(a, w, n, seed, p_clear=0.05):
    rng = np.random.default_rng(seed)
    fa, fw = get_format(a), get_format(w)
    return (
        rng.integers(0, 1 << fa.bits, n),
        rng.integers(0, 1 << fw.bits, n),
        rng.random(n) < 0.9,
        rng.random(n) < p_clear,
    )


CONFIGS = [
    ("fp32", "fused", "keep", "fp8_e4m3", "fp8_e4m3", 0),
    ("fp32", "fused", "flush", "fp16", "fp16", 1),
    ("fp16", "unfused", "keep", "fp16", "fp16", 2),
    ("fp16", "fused", "keep", "fp16", "int8", 1),
    ("bf16", "fused", "keep", "int8", "int8", 0),
    ("bf16", "unfused", "flush", "fp8_e4m3", "fp8_e4m3", 3),
    ("fp16", "fused", "flush", "fp8_e5m2", "fp8_e5m2", 2),
    ("fp8_e4m3", "fused", "keep", "fp8_e4m3", "int4", 0),
    ("fp12_e5m6_nosub", "unfused", "keep", "fp8_e4m3", "fp8_e4m3", 1),
    ("fp6_e3m2", "fused", "keep", "fp4_e2m1", "fp4_e2m1", 0),
]


@pytest.mark.parametrize(("acc", "rounding", "sub", "a", "w", "stages"), CONFIGS)
def test_random_sequences(acc, rounding, sub, a, w, stages):
    spec = FloatAccSpec(format=acc, rounding=rounding, subnormals=sub)
    seed = sum(map(ord, acc + rounding + sub + a + w))
    check(spec, a, w, *random_seq(a, w, 400, seed), stages=stages)


@pytest.mark.slow
@pytest.mark.parametrize(("acc", "rounding", "sub", "a", "w", "stages"), CONFIGS)
def test_long_random_sequences(acc, rounding, sub, a, w, stages):
    spec = FloatAccSpec(format=acc, rounding=rounding, subnormals=sub)
    for seed in range(3):
        check(spec, a, w, *random_seq(a, w, 6000, 100 + seed, p_clear=0.01), stages=stages)


# ---------------------------------------------------------------- directed corners
def _at(ps, t: int, rng) -> tuple[int, int] | None:
    """A product (sig magnitude, shift) whose leading bit has weight 2**t, or None."""
    for b in rng.permutation(np.arange(1, ps.mag_bits + 1)):
        b = int(b)
        shift = t - ps.lsb_exp - (b - 1)
        if 0 <= shift <= ps.shift_max:
            sig = (1 << (b - 1)) | int(rng.integers(0, 1 << (b - 1))) if b > 1 else 1
            # The largest magnitude that both signs reach (a product may be negated).
            return min(sig, ps.sig_max, -ps.sig_min), shift
    return None


def _pow2(ps, t: int) -> tuple[int, int] | None:
    """A product equal to 2**t within the interface's range, or None."""
    shift = min(max(t - ps.lsb_exp, 0), ps.shift_max)
    j = t - ps.lsb_exp - shift
    if 0 <= j and (1 << j) <= ps.sig_max:
        return 1 << j, shift
    return None


def directed(spec: FloatAccSpec, ps, window: int, seed: int = 0):
    """Product-interface streams: every exponent difference, ties, cancellation, overflow,
    subnormal sums and NaN / inf; each episode starts with a clear."""
    rng = np.random.default_rng(seed)
    fmt = spec.fmt
    rows: list[tuple[int, int, int, int, int, int]] = []  # sig, shift, neg, flags, v, c

    def ep(items):
        for i, (sig, shift, neg, flags) in enumerate(items):
            rows.append((-sig if neg else sig, shift, neg, flags, 1, int(i == 0)))

    lo = ps.lsb_exp  # leading-bit exponents a product can have
    hi = ps.lsb_exp + ps.shift_max + ps.mag_bits - 1
    mid = hi - 4
    kmax = min(window + 2, mid - lo)
    diffs = set()
    for k in range(-4, kmax + 1):
        for _ in range(2):
            a, b = _at(ps, mid, rng), _at(ps, mid - k, rng)
            if a and b:
                diffs.add(k)
                ep([(*a, int(rng.integers(2)), 0), (*b, int(rng.integers(2)), 0)])
    ties = 0
    for t in range(lo, hi + 1, max(1, (hi - lo) // 12)):
        for neg in (0, 1):
            # 2**t, + half an ulp (tie: stays even), + one ulp (odd), + half an ulp (tie:
            # rounds up to even).
            one, half, ulp = (_pow2(ps, t - j) for j in (0, fmt.man_bits + 1, fmt.man_bits))
            if one and half and ulp:
                ties += 1
                ep([(*one, neg, 0), (*half, neg, 0), (*ulp, neg, 0), (*half, neg, 0)])
            a = _at(ps, t, rng)
            if a:
                ep([(*a, neg, 0), (*a, 1 - neg, 0)])  # exact cancellation -> +0
    ep([(0, 0, 1, 0), (0, 0, 1, 0), (0, 0, 0, 0)])  # -0, (-0)+(-0), then +0
    # Narrow product ranges: grow the accumulator past the window, then add small ones.
    big, small = _pow2(ps, hi), _pow2(ps, lo)
    if kmax < window + 2 and big and small:
        grow = min(1 << max(0, window + 3 - (hi - lo)), 64)
        ep([(*big, 0, 0)] * grow + [(*small, 0, 0), (*small, 1, 0)] * 3)
    top = _at(ps, hi, rng)
    if top:
        ep([(*top, 0, 0)] * 4)
        ep([(*top, 1, 0)] * 4)
    for t in range(fmt.emin - fmt.man_bits - 3, fmt.emin + 2):
        a, b = _at(ps, t, rng), _at(ps, t - 1, rng)
        if a and b:
            ep([(*a, 0, 0), (*b, 1, 0), (*a, 0, 0), (*b, 0, 0)])
    if ps.specials:
        nan, pinf, ninf = int(Flag.NAN), int(Flag.PINF), int(Flag.NINF)
        x = _at(ps, mid, rng) or (1, 0)
        ep([(*x, 0, 0), (0, 0, 0, pinf), (*x, 1, 0)])
        ep([(0, 0, 0, pinf), (0, 0, 1, ninf)])
        ep([(0, 0, 1, ninf), (0, 0, 1, ninf), (*x, 0, 0)])
        ep([(*x, 0, 0), (0, 0, 0, nan), (*x, 0, 0)])
    # Every exponent difference from -4 to past the window, and some ties, were reached.
    assert diffs == set(range(-4, kmax + 1)) and ties >= 2, (sorted(diffs), ties)
    arr = np.array(rows, dtype=np.int64)
    return {k: arr[:, i] for i, k in enumerate(("sig", "shift", "neg", "flags", "v", "c"))}


def run_ports(spec, ps, d, *, stages=0):
    dut = FloatAccumulator(spec=spec, product=ps, stages=stages)
    ports = {"prod": d["sig"] & ((1 << ps.sig_width) - 1), "prod_neg": d["neg"],
             "valid": d["v"], "clear": d["c"]}  # fmt: skip
    if ps.shift_max:
        ports["shift"] = d["shift"]
    if ps.specials:
        ports["prod_flags"] = d["flags"]
    n = d["sig"].size
    got: list[int] = []

    async def bench(ctx) -> None:
        for i in range(n + dut.latency - 1):
            for name, vals in ports.items():
                ctx.set(getattr(dut, name), int(vals[i]) if i < n else 0)
            await ctx.tick()
            if i >= dut.latency - 1:
                got.append(ctx.get(dut.acc))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return np.array(got, dtype=np.int64), dut


DIRECTED = [
    ("fp32", "fused", "keep", "fp16", "fp16"),
    ("fp32", "fused", "flush", "fp8_e4m3", "fp8_e4m3"),
    ("fp16", "unfused", "keep", "fp16", "fp16"),
    ("fp16", "fused", "keep", "fp16", "int8"),
    ("bf16", "fused", "keep", "int8", "int8"),
    ("bf16", "unfused", "flush", "fp8_e4m3", "fp8_e4m3"),
    ("fp16", "fused", "flush", "fp8_e5m2", "fp8_e5m2"),
]


@pytest.mark.parametrize(("acc", "rounding", "sub", "a", "w"), DIRECTED)
def test_directed_corners(acc, rounding, sub, a, w):
    spec = FloatAccSpec(format=acc, rounding=rounding, subnormals=sub)
    ps = product_spec(a, w)
    window = FloatAccumulator(spec=spec, product=ps).window
    d = directed(spec, ps, window)
    sig, exp = d["sig"][None], (d["shift"] + ps.lsb_exp)[None]
    want = float_acc_trace(
        spec,
        sig=sig,
        exp=exp,
        neg=d["neg"][None],
        flags=d["flags"][None],
        valid=d["v"][None],
        clear=d["c"][None],
    )[0].astype(np.int64)
    got, _ = run_ports(spec, ps, d, stages=1)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, (
        f"cycle {bad[0]} of {got.size}: got {got[bad[0]]:#x} want {want[bad[0]]:#x}"
    )
    fmt = spec.fmt
    vals = fmt.decode(want.astype(fmt.code_dtype))
    assert np.isnan(vals).any() == ps.specials  # the corners reach what they aim at
    assert (vals == 0).any() and (np.signbit(vals) & (vals == 0)).any()


# ---------------------------------------------------------------- configuration
def test_signature_follows_the_config():
    ps = product_spec("fp16", "fp16")
    dut = FloatAccumulator(spec=FloatAccSpec(format="fp32"), product=ps)
    widths = {name: m.shape.width for name, m in dut.signature.members.items()}
    assert widths == {"prod": ps.sig_width, "shift": 6, "prod_neg": 1, "prod_flags": 3,
                      "valid": 1, "clear": 1, "acc": 32}  # fmt: skip
    ints = FloatAccumulator(spec=FloatAccSpec(format="bf16"), product=product_spec("int8", "int8"))
    assert "shift" not in ints.signature.members and "prod_flags" not in ints.signature.members
    assert dut.cut_points == ("normalised", "input")
    unfused = FloatAccSpec(format="fp16", rounding="unfused")
    assert FloatAccumulator(spec=unfused, product=ps, stages=3).latency == 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            dict(stages=3),
            "stages must be in 0..2 for a fused float accumulator (cut points"
            " normalised, input), not 3",
        ),
        (dict(stages=-1), "stages must be in 0..2"),
        (dict(stages=True), "stages must be an integer, not True"),
        (dict(spec="fp32"), "spec must be a FloatAccSpec, not str"),
        (dict(product=3), "product must be a ProductSpec, not int"),
        (
            dict(spec=FloatAccSpec(format="fp6_e3m2")),
            "accumulator format fp6_e3m2 has no NaN or inf codes, but the products can be NaN",
        ),
    ],
)
def test_bad_configs_raise_one_line(kwargs, message):
    args = dict(spec=FloatAccSpec(format="fp32"), product=product_spec("fp16", "fp16"))
    args.update(kwargs)
    with pytest.raises(HwgenError) as info:
        FloatAccumulator(**args)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


@pytest.mark.sim
def test_converts_to_lint_clean_verilog_and_synthesizes(tmp_path):
    from hwgen.costmodel.synth import synthesize
    from hwgen.emit import to_verilog
    from hwgen.tools.lint import verilator_lint

    for spec, a, w, stages in [
        (FloatAccSpec(format="fp16", rounding="unfused", subnormals="flush"), "fp16", "fp16", 3),
        (FloatAccSpec(format="bf16"), "fp8_e4m3", "int8", 1),
    ]:
        dut = FloatAccumulator(spec=spec, product=product_spec(a, w), stages=stages)
        top = f"fpacc_{spec.format}_{stages}"
        path = tmp_path / f"{top}.v"
        text = to_verilog(dut, top=top)
        if stages == 1:  # deterministic: a fresh component gives the same bytes
            again = FloatAccumulator(spec=spec, product=product_spec(a, w), stages=stages)
            assert text == to_verilog(again, top=top)
        path.write_text(text)
        lint = verilator_lint([path], top)
        assert lint.clean, lint.warnings
    res = synthesize([path], top, "generic")
    # The accumulator register plus (stages=1) the registered normalised product.
    assert res.ffs >= dut.fmt.bits + dut.pm and res.num_cells > 10 * res.ffs


@pytest.mark.parametrize("name", ["fp8_e4m3", "int8", "uint4", "flint4", "bitmod_fp4_er_pos"])
def test_operand_sign_is_the_values_sign_bit(name):
    from amaranth.hdl import Module, unsigned
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out
    from helpers import comb_eval

    from hwgen.rtl.common.fpacc import operand_sign

    fmt = get_format(name)

    class Sign(wiring.Component):
        def __init__(self) -> None:
            super().__init__({"code": In(unsigned(fmt.bits)), "neg": Out(1)})

        def elaborate(self, platform):
            m = Module()
            m.d.comb += self.neg.eq(operand_sign(fmt, self.code))
            return m

    codes = list(range(1 << fmt.bits))
    got = comb_eval(Sign(), {"code": codes}, ["neg"])["neg"]
    assert got == np.signbit(fmt.values()).astype(int).tolist()
