"""Float accumulation golden model against numpy float32/float16 sums and exact Fractions."""

from __future__ import annotations

import warnings

import float_reference as ref
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.formats import get_format
from hwgen.golden.float_acc import (
    AccRounding,
    FloatAccSpec,
    Subnormals,
    float_mac_trace,
)
from hwgen.golden.float_error import acc_error, float_acc_error

NP_DTYPE = {"fp32": (np.float32, np.uint32), "fp16": (np.float16, np.uint16)}


def _random(a: str, w: str, lanes: int, cycles: int, seed: int, p_clear=0.05):
    rng = np.random.default_rng(seed)
    fa, fw = get_format(a), get_format(w)
    ac = rng.integers(0, 1 << fa.bits, (lanes, cycles))
    wc = rng.integers(0, 1 << fw.bits, (lanes, cycles))
    valid = rng.random((lanes, cycles)) < 0.9
    clear = rng.random((lanes, cycles)) < p_clear
    return ac, wc, valid, clear


def _reference(spec: FloatAccSpec, a, w, ac, wc, valid, clear) -> np.ndarray:
    fa, fw = get_format(a), get_format(w)
    out = []
    for lane in range(ac.shape[0]):
        prods = [
            ref.product_value(float(fa.values()[x]), float(fw.values()[y]))
            for x, y in zip(ac[lane], wc[lane], strict=True)
        ]
        out.append(ref.trace(spec.fmt, spec.flush, spec.fused, prods, valid[lane], clear[lane]))
    return np.array(out, dtype=np.int64)


@pytest.mark.parametrize(
    ("acc", "a", "w"),
    [
        ("fp32", "fp8_e4m3", "fp8_e4m3"),
        ("fp32", "int8", "int8"),
        ("fp32", "fp16", "fp16"),
        ("fp16", "fp8_e5m2", "int4"),
        ("fp16", "fp6_e2m3", "fp6_e2m3"),
    ],
)
def test_fused_matches_numpy_sequential_sums_where_products_are_exact(acc, a, w):
    dt, ut = NP_DTYPE[acc]
    fa, fw = get_format(a), get_format(w)
    ac, wc, valid, clear = _random(a, w, 16, 1500, seed=1)
    with np.errstate(invalid="ignore"):  # inf x 0 products are NaN
        p = fa.values()[ac] * fw.values()[wc]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = (p.astype(dt).astype(np.float64) == p) | ~np.isfinite(p)
        # Replace products that are not exact in the accumulator by a zero product.
        keep = exact | ~valid
        ac = np.where(keep, ac, 0)
        wc = np.where(keep, wc, 0)
        p = np.where(keep, p, 0.0).astype(dt)
        state = np.zeros(16, dt)
        want = np.empty((16, 1500), ut)
        for k in range(1500):
            start = np.where(clear[:, k], np.copysign(dt(0), p[:, k]), state)
            state = np.where(valid[:, k], start + p[:, k], np.where(clear[:, k], dt(0), state))
            want[:, k] = state.astype(dt).view(ut)
    spec = FloatAccSpec(format=acc)
    got = float_mac_trace(a, ac, w, wc, valid, clear, spec=spec).acc
    nan = np.isnan(want.view(dt))
    np.testing.assert_array_equal(got[~nan], want[~nan])
    assert np.all(got[nan] == spec.fmt.canonical_nan)


CASES = [
    ("fp32", "fused", "keep", "fp16", "fp16"),
    ("fp16", "fused", "keep", "fp16", "fp16"),
    ("fp16", "unfused", "keep", "fp16", "fp16"),
    ("fp16", "unfused", "flush", "fp16", "int8"),
    ("bf16", "fused", "keep", "fp8_e4m3", "fp8_e4m3"),
    ("bf16", "unfused", "flush", "bf16", "bf16"),
    ("bf16", "fused", "flush", "fp8_e5m2", "fp8_e5m2"),
    ("fp8_e4m3", "fused", "keep", "fp8_e4m3", "int4"),
    ("fp8_e5m2", "unfused", "keep", "fp8_e5m2", "fp8_e5m2"),
    ("fp6_e3m2", "fused", "keep", "fp4_e2m1", "fp4_e2m1"),
    ("fp12_e5m6_nosub", "fused", "keep", "fp8_e4m3", "fp8_e4m3"),
    ("fp32", "unfused", "flush", "fp16", "fp16"),
]


@pytest.mark.parametrize(("acc", "rounding", "sub", "a", "w"), CASES)
def test_matches_fraction_reference(acc, rounding, sub, a, w):
    spec = FloatAccSpec(format=acc, rounding=rounding, subnormals=sub)
    ac, wc, valid, clear = _random(a, w, 6, 250, seed=sum(map(ord, acc + rounding + sub + a + w)))
    got = float_mac_trace(a, ac, w, wc, valid, clear, spec=spec).acc
    np.testing.assert_array_equal(got, _reference(spec, a, w, ac, wc, valid, clear))


def _codes(fmt_name: str, values) -> np.ndarray:
    return get_format(fmt_name).encode(np.array(values, dtype=np.float64)).astype(np.int64)


def test_signed_zero_rules_and_specials_ieee():
    spec = FloatAccSpec(format="fp16")
    # Products x * 1.0 with x from fp16: one lane per scenario, clear on the first cycle.
    lanes = [
        [-0.0, -0.0],  # (-0) + (-0) = -0
        [-0.0, 0.0],  # -0 + +0 = +0
        [1.0, -1.0],  # exact cancellation -> +0
        [-1.0, 1.0],
        [np.inf, -np.inf],  # NaN
        [np.inf, 1.0],
        [np.nan, 1.0],
        [65504.0, 32.0],  # 65536 tie -> even = overflow -> inf
        [-65504.0, -8.0],  # below the tie: stays -65504
        [2.0**-24, -(2.0**-24)],
        [2.0**-24, 2.0**-25 * 0],
    ]
    x = _codes("fp16", lanes)
    one = np.full(x.shape, _codes("fp16", [1.0])[0])
    clear = np.zeros(x.shape, bool)
    clear[:, 0] = True
    got = float_mac_trace("fp16", x, "fp16", one, np.ones(x.shape, bool), clear, spec=spec)
    v = got.values()[:, 1]
    assert np.signbit(v[0]) and v[0] == 0
    assert not np.signbit(v[1]) and not np.signbit(v[2]) and not np.signbit(v[3])
    assert np.isnan(v[4]) and v[5] == np.inf and np.isnan(v[6])
    assert v[7] == np.inf and v[8] == -65504.0
    assert v[9] == 0 and not np.signbit(v[9])
    assert got.acc[4, 1] == get_format("fp16").canonical_nan


def test_inf_times_zero_is_nan_and_clear_alone_gives_plus_zero():
    spec = FloatAccSpec(format="fp32")
    a = _codes("fp8_e5m2", [[np.inf, 1.0, -2.0]])
    w = _codes("fp8_e5m2", [[0.0, 1.0, -0.0]])
    got = float_mac_trace("fp8_e5m2", a, "fp8_e5m2", w, [[1, 1, 0]], [[0, 1, 1]], spec=spec)
    assert np.isnan(got.values()[0, 0])
    assert got.values()[0, 1] == 1.0
    assert got.acc[0, 2] == 0


def test_flush_semantics():
    fp16 = get_format("fp16")
    tiny = 2.0**-20  # subnormal in fp16
    keep = FloatAccSpec(format="fp16", subnormals="keep")
    flush = FloatAccSpec(format="fp16", subnormals="flush")
    a = _codes("fp16", [[tiny, -tiny * 3], [2.0**-14, -(2.0**-15)], [-tiny, 0.0]])
    w = np.full(a.shape, _codes("fp16", [1.0])[0])
    v, c = np.ones(a.shape, bool), np.array([[1, 0]] * 3, bool)
    k = fp16.decode(float_mac_trace("fp16", a, "fp16", w, v, c, spec=keep).acc)
    fv = float_mac_trace("fp16", a, "fp16", w, v, c, spec=flush).values()
    assert k[0].tolist() == [tiny, -2 * tiny] and fv[0].tolist() == [0.0, 0.0]
    assert np.signbit(fv[0, 1])  # a flushed result keeps the sign of the exact result
    assert k[1, 1] == 2.0**-15 and fv[1, 1] == 0 and not np.signbit(fv[1, 1])
    assert np.signbit(fv[2, 0]) and not np.signbit(fv[2, 1])  # (-0) + (+0) = +0
    # Tininess after rounding: 15 * 2**-18 rounds (tie, to even) up to the smallest normal
    # of fp8_e5m2 and survives the flush; 14 * 2**-18 is exact below it and is flushed.
    spec = FloatAccSpec(format="fp8_e5m2", subnormals="flush")
    a = _codes("int8", [[15], [14]])
    w = _codes("fp16", [[2.0**-18], [2.0**-18]])
    got = float_mac_trace("int8", a, "fp16", w, [[1], [1]], [[1], [1]], spec=spec).values()
    assert got[:, 0].tolist() == [2.0**-14, 0.0]


def test_order_dependence_is_real_and_each_order_is_exact_per_step():
    spec = FloatAccSpec(format="fp16")
    vals = [2048.0, 1.0, 1.0, 1.0, 1.0]
    x = _codes("fp16", [vals, vals[::-1]])
    one = np.full(x.shape, _codes("fp16", [1.0])[0])
    clear = np.zeros(x.shape, bool)
    clear[:, 0] = True
    got = float_mac_trace("fp16", x, "fp16", one, np.ones(x.shape, bool), clear, spec=spec)
    assert got.values()[0, -1] == 2048.0  # each +1 is a tie, rounded to even
    assert got.values()[1, -1] == 2052.0
    np.testing.assert_array_equal(
        got.acc, _reference(spec, "fp16", "fp16", x, one, np.ones(x.shape, bool), clear)
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-128, 127), st.integers(-128, 127)), min_size=1, max_size=40))
def test_exact_when_no_rounding_occurs(pairs):
    # |sum| <= 40 * 2**14 < 2**24: every partial sum of int8 products is exact in fp32.
    a = np.array([p[0] & 0xFF for p in pairs])
    w = np.array([p[1] & 0xFF for p in pairs])
    ones = np.ones(a.size, bool)
    got = float_mac_trace("int8", a, "int8", w, ones, ~ones, spec=FloatAccSpec(format="fp32"))
    np.testing.assert_array_equal(got.values(), np.cumsum([x * y for x, y in pairs]))


fp16_codes = st.integers(0, (1 << 16) - 1)


@settings(max_examples=200, deadline=None)
@given(
    fp16_codes,
    fp16_codes,
    st.sampled_from(["fused", "unfused"]),
    st.sampled_from(["keep", "flush"]),
)
def test_single_add_commutes(x, y, rounding, sub):
    spec = FloatAccSpec(format="fp16", rounding=rounding, subnormals=sub)
    # Both must be accumulator states: a flushed accumulator never holds a subnormal.
    ef = np.array([x, y]) >> 10 & 0x1F
    assume(sub == "keep" or not np.any((ef == 0) & (np.array([x, y]) & 0x3FF != 0)))
    one = _codes("fp16", [1.0])[0]
    a = np.array([[x, y], [y, x]])
    got = float_mac_trace(
        "fp16",
        a,
        "fp16",
        np.full(a.shape, one),
        np.ones(a.shape, bool),
        np.array([[1, 0], [1, 0]], bool),
        spec=spec,
    ).acc
    assert got[0, 1] == got[1, 1]


@settings(max_examples=200, deadline=None)
@given(fp16_codes, fp16_codes, fp16_codes)
def test_adding_is_monotone_in_the_product(s, p1, p2):
    fp16 = get_format("fp16")
    vals = fp16.values()
    if np.isnan(vals[[s, p1, p2]]).any():
        return
    if vals[p1] > vals[p2]:
        p1, p2 = p2, p1
    spec = FloatAccSpec(format="fp32")  # fp16 x 1.0 products into fp32 ...
    spec16 = FloatAccSpec(format="fp16")  # ... and into fp16
    one = _codes("fp16", [1.0])[0]
    a = np.array([[s, p1], [s, p2]])
    for sp in (spec, spec16):
        r = float_mac_trace(
            "fp16",
            a,
            "fp16",
            np.full(a.shape, one),
            np.ones(a.shape, bool),
            np.array([[1, 0], [1, 0]], bool),
            spec=sp,
        ).values()
        if not np.isnan(r[:, 1]).any():
            assert r[0, 1] <= r[1, 1]


def test_error_report():
    ac, wc, valid, clear = _random("fp8_e4m3", "fp8_e4m3", 8, 400, seed=5, p_clear=0.0)
    nan = get_format("fp8_e4m3").nan_codes[0]
    ac = np.where(ac == nan, 0, ac)
    wc = np.where(wc == nan, 0, wc)
    ac = np.where(ac == get_format("fp8_e4m3").nan_codes[1], 0, ac)
    wc = np.where(wc == get_format("fp8_e4m3").nan_codes[1], 0, wc)
    r32 = float_acc_error(
        "fp8_e4m3", ac, "fp8_e4m3", wc, valid, clear, spec=FloatAccSpec(format="fp32")
    )
    r16 = float_acc_error(
        "fp8_e4m3", ac, "fp8_e4m3", wc, valid, clear, spec=FloatAccSpec(format="bf16")
    )
    assert r32.count == r16.count > 0
    # Cancellation can make single relative errors large; on average fp32 is far closer.
    assert 0 <= r32.mean_rel <= r32.max_rel and r32.mean_rel < 1e-4
    assert r16.max_rel > r32.max_rel and r16.mean_rel > 100 * r32.mean_rel
    assert r16.nonfinite == 0
    e = acc_error(
        [1.0, 2.0, 0.0, np.inf, 5.0, 1.0], [1.0, 4.0, 0.0, 3.0, 0.0, 2.0], [0, 0, 0, 0, 0, 1]
    )
    assert (e.count, e.max_rel, e.mean_rel) == (2, 0.5, 0.25)
    assert (e.exact_zero, e.exact_zero_missed, e.nonfinite, e.special) == (2, 1, 1, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(format="int8"), "accumulator format 'int8' is int; a float accumulator needs"),
        (dict(format="flint4"), "accumulator format 'flint4' is table;"),
        (dict(format="fp16", rounding="twice"), "rounding must be one of fused, unfused, not"),
        (dict(format="fp16", subnormals="daz"), "subnormals must be one of keep, flush, not"),
        (
            dict(format="fp16_e5m10_nosub", subnormals="flush"),
            "subnormals='flush' needs a format with subnormals; fp16_e5m10_nosub has none",
        ),
        (
            dict(format="fp4_e3m0_ieee"),
            "accumulator format fp4_e3m0_ieee has infinities but no NaN code",
        ),
        (dict(format="fp32_e1m30_none"), None),
    ],
)
def test_bad_specs(kwargs, message):
    if message is None:
        FloatAccSpec(**kwargs)  # 30 mantissa bits: the widest accepted
        return
    with pytest.raises(HwgenError, match=message.replace("(", r"\(")):
        FloatAccSpec(**kwargs)


def test_none_format_rejects_special_products_and_spec_round_trips():
    spec = FloatAccSpec(format="fp6_e3m2")
    with pytest.raises(HwgenError, match="has no NaN or inf codes, but fp8_e4m3 x int8"):
        float_mac_trace("fp8_e4m3", [0], "int8", [0], [1], [0], spec=spec)
    s = FloatAccSpec(format="FP16", rounding=AccRounding.UNFUSED, subnormals=Subnormals.FLUSH)
    assert s.to_dict() == {"format": "fp16", "rounding": "unfused", "subnormals": "flush"}
    assert FloatAccSpec.from_dict(s.to_dict()) == s
    with pytest.raises(HwgenError, match="unknown float accumulator keys: bits"):
        FloatAccSpec.from_dict({"format": "fp16", "bits": 3})


def test_lmul_products_accumulate_like_the_reference():
    from hwgen.golden import lmul_product_ints

    spec = FloatAccSpec(format="bf16", rounding="unfused")
    ac, wc, valid, clear = _random("fp8_e4m3", "fp8_e4m3", 4, 200, seed=9)
    got = float_mac_trace(
        "fp8_e4m3", ac, "fp8_e4m3", wc, valid, clear, spec=spec, multiplier="lmul"
    ).acc
    p = lmul_product_ints("fp8_e4m3", ac, "fp8_e4m3", wc)
    want = []
    for lane in range(4):
        prods = []
        for x, y, i, f in zip(ac[lane], wc[lane], p.ints[lane], p.flags[lane], strict=True):
            exact = ref.product_value(
                float(get_format("fp8_e4m3").values()[x]), float(get_format("fp8_e4m3").values()[y])
            )
            if f:
                prods.append(exact)  # specials as for the exact multiplier
            elif i == 0:
                prods.append(-0.0 if ref._is_neg(exact) else 0.0)
            else:
                prods.append(ref.Fraction(int(i)) * ref.Fraction(2) ** p.lsb_exp)
        want.append(ref.trace(spec.fmt, spec.flush, spec.fused, prods, valid[lane], clear[lane]))
    np.testing.assert_array_equal(got, np.array(want))
