"""BitMoD PE golden model: config validation, term encoder, exact vs Fraction, narrow vs scalar."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.errors import HwgenError
from hwgen.formats import get
from hwgen.golden.bitmod import (
    AccRounding,
    GroupFlag,
    PEMode,
    WeightType,
    bitmod_gemm,
    default_special_values,
    encode_terms,
    group_results,
    weight_values,
)
from hwgen.golden.bitmod.scalar import scalar_group

ACTS = ("fp16", "bf16", "fp8_e4m3", "int8")


# ---------------------------------------------------------------------------- config
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"act_format": "fp32"},
            "act_format must be one of fp16, bf16, fp8_e4m3, int8, not 'fp32'",
        ),
        ({"dot": 3}, "dot must be one of 1, 2, 4, 8, 16, not 3"),
        ({"group_size": 130}, "group_size 130 is not a multiple of dot=4"),
        (
            {"group_size": 12},
            "group_size 12 is too small to hide the 8-cycle dequantization: needs >= 16"
            " (dot=4, fastest datatype 2 cycles per weight)",
        ),
        ({"group_size": 8192}, "group_size must be <= 4096, not 8192"),
        ({"mode": "fast"}, "mode must be one of exact, narrow, not 'fast'"),
        (
            {"weight_types": ("int5",)},
            "weight type must be one of int8, int6, int4, int3, fp4, fp3, not 'int5'",
        ),
        (
            {"special_values": (7, 1, 2, 3)},
            "special_values[0] 7 is not representable: magnitude must be < 32 with at most"
            " two one-bits (e.g. 3, 6, 10, 16, 24)",
        ),
        (
            {"special_values": (1, 2)},
            "special_values must be 4 integers (one per selector), not (1, 2)",
        ),
        ({"acc_man_bits": 15}, "acc_man_bits applies to mode 'narrow' only; leave it unset"),
        ({"mode": "narrow", "dequant_man_bits": 30}, "dequant_man_bits must be in 15..23, not 30"),
    ],
)
def test_config_rejects(kwargs: dict, message: str) -> None:
    with pytest.raises(HwgenError) as err:
        BitmodPEConfig(**kwargs)
    assert str(err.value) == message


def test_narrow_defaults_fit_the_narrowest_datapath() -> None:
    # fp8_e4m3 at dot 1: a cycle sum holds 14 bits, so BitMoD's 15 is capped, not refused.
    cfg = BitmodPEConfig(act_format="fp8_e4m3", mode="narrow", dot=1, group_size=8)
    assert cfg.tree_bits + cfg.sigma_max == 14
    assert (cfg.acc_man_bits, cfg.dequant_man_bits) == (14, 21)
    assert BitmodPEConfig.from_dict(cfg.to_dict()) == cfg
    default = BitmodPEConfig(mode="narrow")
    assert (default.acc_man_bits, default.dequant_man_bits) == (15, 21)
    with pytest.raises(HwgenError) as err:
        BitmodPEConfig(act_format="fp8_e4m3", mode="narrow", dot=1, group_size=8, acc_man_bits=15)
    assert str(err.value) == "acc_man_bits must be in 4..14, not 15"


def test_config_facts() -> None:
    cfg = BitmodPEConfig(mode="narrow")
    # BitMoD's widths for FP16 activations and dot 4 (bitmod.md); the significance goes
    # into the cycle sum's exponent, so the accumulator window is the tree's 17 bits.
    assert (cfg.lane_bits, cfg.tree_bits, cfg.cycle_sum_bits) == (14, 17, 17)
    assert (cfg.cycle_exp_max, cfg.acc_exp_bits, cfg.out_exp_bits) == (38, 6, 6)
    assert BitmodPEConfig(mode="exact").cycle_sum_bits == 52
    assert (cfg.acc_bits, cfg.out_man_bits, cfg.x_bits) == (15, 21, 6)
    assert cfg.cycles_per_weight == {"int8": 4, "int6": 3, "int4": 2, "int3": 2, "fp4": 2, "fp3": 2}
    assert cfg.macs_per_cycle["int8"] == 1.0 and cfg.macs_per_cycle["fp4"] == 2.0
    assert cfg.min_group_size == 16
    only8 = BitmodPEConfig(weight_types=("int8",), group_size=8)
    assert only8.min_group_size == 8 and only8.sigma_max == 6
    assert BitmodPEConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(HwgenError, match="unknown bitmod_pe config keys: rows"):
        BitmodPEConfig.from_dict({"rows": 2})
    assert default_special_values("bitmod_fp3") == (3, -3, 6, -6)
    assert default_special_values("bitmod_fp4") == cfg.special_values


# ---------------------------------------------------------------------------- encoder
@pytest.mark.parametrize("wt", list(WeightType))
def test_terms_rebuild_every_code(wt: WeightType) -> None:
    codes = np.arange(1 << wt.bits)
    for sel in range(4):
        for sv in ((10, -10, 16, -16), (3, -3, 6, -6), (24, -17, 0, 1)):
            t = encode_terms(codes, wt, selector=sel, specials=sv)
            assert t.sign.shape == (codes.size, wt.cycles)
            assert np.array_equal(t.values(), weight_values(codes, wt, selector=sel, specials=sv))
            assert t.exp.max() <= 3
            vals = weight_values(codes, wt, selector=sel, specials=sv)
            assert np.array_equal(t.zero, vals == 0) and np.array_equal(t.neg, vals < 0)
    if wt.is_float:
        # The registry's BitMoD variants give the same values (selector = variant index).
        mix = get(f"bitmod_{wt.value}")
        for sel, variant in enumerate(mix.variants):
            vals = weight_values(codes, wt, selector=sel, specials=default_special_values(mix.name))
            assert np.array_equal(vals, variant.values().astype(np.int64))
    else:
        assert np.array_equal(weight_values(codes, wt), get(wt.value).values().astype(np.int64))
        # Booth digits step by 2: significance 0, 2, 4, 6.
        assert wt.sigmas == tuple(range(0, 2 * wt.cycles, 2))


def test_encoder_rejects() -> None:
    with pytest.raises(HwgenError, match=r"selector 4 is out of range \(allowed 0..3\)"):
        encode_terms([8], "fp4", selector=4)
    with pytest.raises(HwgenError, match=r"weight codes of int4 must be in 0\.\.15"):
        encode_terms([16], "int4")


# ---------------------------------------------------------------------------- helpers
def _finite_codes(fmt_name: str, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    fmt = get(fmt_name)
    pool = np.flatnonzero(fmt.finite_mask)
    return rng.choice(pool, size=shape)


def _exact(cfg: BitmodPEConfig, a, w, wt, sel, scale, sv=None) -> Fraction:
    av = get(cfg.act_format).values()
    wv = weight_values(w, wt, selector=sel, specials=sv or cfg.special_values)
    return (
        sum((Fraction(float(av[x])) * int(y) for x, y in zip(a, wv, strict=True)), Fraction(0))
        * scale
    )


def _value(man: int, exp: int, lsb: int) -> Fraction:
    return Fraction(int(man)) * Fraction(2) ** (int(exp) + lsb)


# ---------------------------------------------------------------------------- exact mode
@settings(max_examples=40, deadline=None)
@given(
    act=st.sampled_from(ACTS),
    wt=st.sampled_from(list(WeightType)),
    sel=st.integers(0, 3),
    scale=st.integers(0, 255),
    seed=st.integers(0, 2**32 - 1),
    dot=st.sampled_from([1, 4, 8]),
)
def test_exact_equals_fraction(act, wt, sel, scale, seed, dot) -> None:
    cfg = BitmodPEConfig(act_format=act, dot=dot, group_size=4 * dot)
    rng = np.random.default_rng(seed)
    a = _finite_codes(act, rng, (3, cfg.group_size))
    w = rng.integers(0, 1 << wt.bits, size=(3, cfg.group_size))
    r = group_results(cfg, a, w, wt.value, sel, scale)
    for i in range(3):
        assert _value(r.man[i], r.exp[i], r.lsb_exp) == _exact(cfg, a[i], w[i], wt, sel, scale)
        assert r.flags[i] == 0


def test_exact_extremes_fit_declared_widths() -> None:
    """Largest activations x largest weights x 255: the result fits out_man_bits."""
    for act in ACTS:
        cfg = BitmodPEConfig(act_format=act, group_size=64)
        fmt = get(act)
        vals = np.where(fmt.finite_mask, fmt.values(), 0)
        big = int(np.argmax(vals))
        small = int(np.argmin(vals))
        for wt, code in ((WeightType.INT8, 0x80), (WeightType.FP4, 8)):
            for a_code in (big, small):
                a = np.full(cfg.group_size, a_code)
                w = np.full(cfg.group_size, code)
                r = group_results(cfg, a, w, wt.value, 2, 255, specials=(24, -24, 24, 24))
                exact = _exact(cfg, a, w, wt, 2, 255, (24, -24, 24, 24))
                assert _value(r.man, r.exp, r.lsb_exp) == exact
                assert abs(int(r.man)) < 1 << (cfg.out_man_bits - 1)


# ---------------------------------------------------------------------------- narrow mode
def _check_against_scalar(cfg, a, w, wts, sels, scales, sv=None) -> None:
    r = group_results(cfg, a, w, wts, sels, scales, specials=sv)
    for i in range(a.shape[0]):
        want = scalar_group(cfg, a[i], w[i], int(wts[i]), int(sels[i]), int(scales[i]), sv)
        assert (int(r.man[i]), int(r.exp[i]), int(r.flags[i])) == want, i


@settings(max_examples=15, deadline=None)
@given(
    act=st.sampled_from(ACTS),
    seed=st.integers(0, 2**32 - 1),
    dot=st.sampled_from([1, 2, 4, 16]),
    extra=st.integers(0, 4),
    acc=st.integers(8, 18),
    mode=st.sampled_from(list(PEMode)),
    rounding=st.sampled_from(list(AccRounding)),
)
def test_vectorised_equals_scalar(act, seed, dot, extra, acc, mode, rounding) -> None:
    kw = {}
    if mode is PEMode.NARROW:
        kw = {
            "lane_extra_bits": extra,
            "acc_man_bits": acc,
            "dequant_man_bits": acc + 4,
            "acc_rounding": rounding,
        }
    g = max(32, dot * 4)
    try:
        cfg = BitmodPEConfig(act_format=act, dot=dot, group_size=g, mode=mode, **kw)
    except HwgenError:
        assume(False)  # an accumulator wider than the cycle sum is rejected by design
    rng = np.random.default_rng(seed)
    n = 4
    # Any activation code, specials included; dtype codes include two unserved ones.
    a = rng.integers(0, 1 << cfg.act_bits, size=(n, g))
    wts = rng.integers(0, 8, size=n)
    w = rng.integers(0, 256, size=(n, g))
    for i, code in enumerate(wts):
        if code < 6:
            w[i] %= 1 << WeightType.from_code(int(code)).bits
    _check_against_scalar(cfg, a, w, wts, rng.integers(0, 4, n), rng.integers(0, 256, n))


def test_narrow_specials_and_scale_extremes() -> None:
    cfg = BitmodPEConfig(mode="narrow", group_size=16)
    fp16 = get("fp16")
    inf, ninf, nan = 0x7C00, 0xFC00, 0x7E00
    g = cfg.group_size
    one = int(fp16.encode(np.array(1.0)))
    cases = {
        "pinf": ([inf] + [one] * (g - 1), [1] * g, GroupFlag.PINF, g - 1),
        "ninf_neg_weight": ([inf] + [one] * (g - 1), [0xFF] * g, GroupFlag.NINF, 1 - g),
        "inf_times_zero": ([inf] + [one] * (g - 1), [0] * g, GroupFlag.NAN, 0),
        "inf_minus_inf": (
            [inf, ninf] + [one] * (g - 2),
            [1] * g,
            GroupFlag.NAN | GroupFlag.PINF | GroupFlag.NINF,
            g - 2,
        ),
        "nan": ([nan] + [one] * (g - 1), [1] * g, GroupFlag.NAN, g - 1),
    }
    for a, w, flags, finite in cases.values():
        r = group_results(cfg, np.array(a), np.array(w), "int8", 0, 1)
        assert r.flags == flags
        # The specials add nothing: the finite part is the other lanes' exact sum.
        assert _value(r.man, r.exp, r.lsb_exp) == finite
    # inf x scale 0 -> NaN as well.
    r = group_results(cfg, np.array(cases["pinf"][0]), np.ones(g, int), "int8", 0, 0)
    assert r.flags == GroupFlag.NAN | GroupFlag.PINF
    assert np.isnan(r.to_float())
    # Scale extremes and a subnormal / the largest finite activation are exact here.
    sub, big = 0x0001, 0x7BFF
    for scale in (0, 1, 255):
        a = np.array([sub, big] * (g // 2))
        w = np.array([1, -1 & 0xFF] * (g // 2))
        r = group_results(cfg, a, w, "int8", 0, scale)
        want = _exact(cfg, a, w, WeightType.INT8, 0, scale)
        assert abs(_value(r.man, r.exp, r.lsb_exp) - want) <= abs(want) * Fraction(1, 1 << 12)


def test_unserved_dtype_flags_and_zero() -> None:
    cfg = BitmodPEConfig(weight_types=("fp4", "fp3"), group_size=32)
    a = np.full(32, 0x3C00)
    r = group_results(cfg, a, np.full(32, 3), "int8", 0, 9)
    assert r.flags == GroupFlag.DTYPE and r.man == 0
    with pytest.raises(HwgenError, match="scale 256 is out of range"):
        group_results(cfg, a, np.full(32, 3), "fp4", 0, 256)
    with pytest.raises(HwgenError, match="selector 5 is out of range"):
        group_results(cfg, a, np.full(32, 3), "fp4", 5, 1)


def test_gemm_matches_groups() -> None:
    rng = np.random.default_rng(3)
    cfg = BitmodPEConfig(mode="narrow", group_size=16)
    m, n, k = 2, 3, 64
    a = _finite_codes("fp16", rng, (m, k))
    wts = rng.integers(0, 6, size=(n, k // 16))
    w = np.zeros((n, k), dtype=np.int64)
    for j in range(n):
        for gi in range(k // 16):
            bits = WeightType.from_code(int(wts[j, gi])).bits
            w[j, gi * 16 : (gi + 1) * 16] = rng.integers(0, 1 << bits, 16)
    sels = rng.integers(0, 4, (n, k // 16))
    scales = rng.integers(0, 256, (n, k // 16))
    out = bitmod_gemm(cfg, a, w, wts, sels, scales, max_chunk=200)
    assert out.man.shape == (m, n, k // 16)
    for i in range(m):
        for j in range(n):
            for gi in range(k // 16):
                sl = slice(gi * 16, (gi + 1) * 16)
                want = scalar_group(
                    cfg, a[i, sl], w[j, sl], int(wts[j, gi]), int(sels[j, gi]), int(scales[j, gi])
                )
                assert (
                    int(out.man[i, j, gi]),
                    int(out.exp[i, j, gi]),
                    int(out.flags[i, j, gi]),
                ) == want


@pytest.mark.parametrize("mode", ["exact", "narrow"])
def test_gemm_matches_group_results_with_specials_and_unserved_types(mode) -> None:
    """The GEMM (terms encoded once per weight) equals group_results of every (m, n, group)."""
    rng = np.random.default_rng(11)
    cfg = BitmodPEConfig(mode=mode, group_size=16, weight_types=("int4", "fp4", "int8"))
    m, n, k = 3, 4, 48
    a = _finite_codes("fp16", rng, (m, k))
    a[0, 3], a[1, 20], a[2, 40] = 0x7E00, 0x7C00, 0xFC00  # NaN, +inf, -inf
    wts = rng.choice([0, 2, 4, 5], size=(n, k // 16))  # 5 (fp3) is not served
    w = rng.integers(0, 16, size=(n, k))
    sels = rng.integers(0, 4, (n, k // 16))
    scales = rng.integers(0, 256, (n, k // 16))
    out = bitmod_gemm(cfg, a, w, wts, sels, scales, max_chunk=300)
    want = group_results(
        cfg, a.reshape(m, 1, k // 16, 16), w.reshape(1, n, k // 16, 16),
        wts[None], sels[None], scales[None],
    )  # fmt: skip
    assert (out.flags == want.flags).all() and (out.flags != 0).any()
    assert (out.man == want.man).all() and (out.exp == want.exp).all()
