"""The format library, checked against ml_dtypes, published value sets and enumeration."""

from __future__ import annotations

import functools
import math
import warnings
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen import formats
from hwgen.errors import HwgenError, UnknownFormatError
from hwgen.formats import IntFormat, MinifloatFormat, SpecialPolicy, TableFormat
from hwgen.formats.fast import lookup_table

# The external reference: hwgen's OCP formats and the ml_dtypes type they must match.
OCP = {
    "fp8_e4m3": ml_dtypes.float8_e4m3fn,
    "fp8_e5m2": ml_dtypes.float8_e5m2,
    "fp6_e3m2": ml_dtypes.float6_e3m2fn,
    "fp6_e2m3": ml_dtypes.float6_e2m3fn,
    "fp4_e2m1": ml_dtypes.float4_e2m1fn,
}
# Facts from the OCP OFP8 1.0 / MX 1.0 tables (shared/reference/formats.md).
OCP_FACTS = {
    "fp8_e4m3": dict(bias=7, max=448.0, min_normal=2.0**-6, min_sub=2.0**-9, nan=2, inf=0),
    "fp8_e5m2": dict(bias=15, max=57344.0, min_normal=2.0**-14, min_sub=2.0**-16, nan=6, inf=2),
    "fp6_e3m2": dict(bias=3, max=28.0, min_normal=0.25, min_sub=0.0625, nan=0, inf=0),
    "fp6_e2m3": dict(bias=1, max=7.5, min_normal=1.0, min_sub=0.125, nan=0, inf=0),
    "fp4_e2m1": dict(bias=1, max=6.0, min_normal=1.0, min_sub=0.5, nan=0, inf=0),
}
REQUIRED = (
    [f"int{n}" for n in range(2, 17)]
    + [f"uint{n}" for n in range(2, 17)]
    + ["fp8_e4m3", "fp8_e5m2", "fp6_e3m2", "fp6_e2m3", "fp4_e2m1", "fp16", "bf16", "flint4"]
    + [f"bitmod_fp{b}_{k}_{s}" for b in (3, 4) for k in ("er", "ea") for s in ("pos", "neg")]
    + ["bitmod_fp3", "bitmod_fp4"]
)


def ml_codes(x: np.ndarray, dtype) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return x.astype(dtype).view(np.uint8)


def ties_and_neighbours(fmt) -> np.ndarray:
    """Every code value, every midpoint between neighbours, each +- 1 float32 ulp, specials."""
    v = np.unique(fmt.values()[fmt.finite_mask])
    mids = (v[:-1] + v[1:]) / 2
    beyond = np.array([fmt.max_value * 1.5, fmt.max_value * 4, 1e30, fmt.min_positive / 2])
    base = np.concatenate([v, mids, beyond, -beyond]).astype(np.float32)
    up = np.nextafter(base, np.float32(np.inf))
    down = np.nextafter(base, np.float32(-np.inf))
    specials = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0], np.float32)
    return np.concatenate([base, up, down, specials])


@pytest.mark.parametrize("name", REQUIRED)
def test_required_names_resolve(name):
    fmt = formats.get(name)
    assert fmt.name == name
    assert name in formats.names()


@pytest.mark.parametrize("name", sorted(OCP))
def test_every_code_matches_ml_dtypes(name):
    fmt = formats.get(name)
    codes = np.arange(1 << fmt.bits, dtype=np.uint8)
    ref = codes.view(OCP[name]).astype(np.float64)
    got = fmt.values()
    np.testing.assert_array_equal(got, ref)  # NaN positions and values
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(np.signbit(got[finite]), np.signbit(ref[finite]))


@pytest.mark.parametrize("name", sorted(OCP))
def test_published_facts(name):
    fmt, facts = formats.get(name), OCP_FACTS[name]
    assert fmt.bias == facts["bias"]
    assert fmt.max_value == facts["max"] == -fmt.min_value
    assert fmt.min_positive == facts["min_sub"] == fmt.min_subnormal
    assert 2.0**fmt.emin == facts["min_normal"]
    assert len(fmt.nan_codes) == facts["nan"]
    assert len(fmt.inf_codes) == facts["inf"]


@pytest.mark.parametrize("name", sorted(OCP))
def test_encode_matches_ml_dtypes_on_ties_and_neighbours(name):
    fmt = formats.get(name)
    x = ties_and_neighbours(fmt)
    np.testing.assert_array_equal(fmt.encode(x), ml_codes(x, OCP[name]))
    # The exact float64 path agrees with the float32 table path.
    exact = fmt.encode_exact(x.astype(np.float64), saturate=fmt.default_saturate)
    np.testing.assert_array_equal(exact, ml_codes(x, OCP[name]))


@pytest.mark.parametrize("name", sorted(OCP))
def test_encode_matches_ml_dtypes_on_random_bit_patterns(name):
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 1 << 32, size=400_000, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    np.testing.assert_array_equal(formats.get(name).encode(x), ml_codes(x, OCP[name]))


def test_overflow_behaviour_of_ocp_formats():
    e4m3, e5m2, e2m1 = (formats.get(n) for n in ("fp8_e4m3", "fp8_e5m2", "fp4_e2m1"))
    x = np.array([449.0, 464.0, 464.01, 1e9, np.inf], np.float32)
    assert e4m3.decode(e4m3.encode(x))[:2].tolist() == [448.0, 448.0]
    assert np.isnan(e4m3.decode(e4m3.encode(x))[2:]).all()
    assert e4m3.decode(e4m3.encode(x, saturate=True)).tolist() == [448.0] * 5
    y = np.array([61439.0, 61440.0, np.inf], np.float32)
    assert e5m2.decode(e5m2.encode(y)).tolist() == [57344.0, np.inf, np.inf]
    assert e5m2.decode(e5m2.encode(y, saturate=True)).tolist() == [57344.0] * 3
    assert e2m1.decode(e2m1.encode(np.array([7.0, -1e9, np.inf]))).tolist() == [6.0, -6.0, 6.0]


def test_float64_inputs_are_rounded_once():
    # ml_dtypes rounds float64 via float32 and gets 2 here; the correct nearest value is 3.
    fmt = formats.get("fp4_e2m1")
    assert fmt.decode(fmt.encode(np.float64(2.5 + 1e-12))) == 3.0
    assert fmt.decode(fmt.encode(np.float64(2.5))) == 2.0  # exact tie: even mantissa


def test_nan_into_format_without_nan_gives_sign_flipped_zero_like_ml_dtypes():
    fmt = formats.get("fp6_e2m3")
    codes = fmt.encode(np.array([np.nan, -np.nan], np.float32))
    assert codes.tolist() == [0b100000, 0]


@pytest.mark.parametrize(
    "name",
    ["fp8_e3m4", "fp8_e4m3_b5", "fp8_e4m3_nosub_fn", "fp7_e3m3", "fp5_e2m2", "fp6_e4m1_ieee"],
)
def test_float32_table_equals_exact_path(name):
    fmt = formats.get(name)
    rng = np.random.default_rng(2)
    x = rng.integers(0, 1 << 32, size=200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    x = np.concatenate([x, ties_and_neighbours(fmt)])
    with np.errstate(invalid="ignore"):
        wide = x.astype(np.float64)
    for sat in (False, True) if fmt.specials is not SpecialPolicy.NONE else (True,):
        np.testing.assert_array_equal(
            fmt.encode(x, saturate=sat), fmt.encode_exact(wide, saturate=sat)
        )


def test_lookup_tables_exist_where_promised():
    for name in ("fp8_e4m3", "fp8_e5m2", "fp6_e3m2", "fp6_e2m3", "fp4_e2m1"):
        assert lookup_table(formats.get(name), np.dtype(np.float32), False) is not None
    for name in ("fp4_e2m1", "fp6_e3m2", "bitmod_fp4_er_pos", "bitmod_fp3_ea_neg", "flint4"):
        assert lookup_table(formats.get(name), np.dtype(np.float64), True) is not None
    # Four mantissa bits cannot be rounded from the top 4 mantissa bits of a float64.
    assert lookup_table(formats.get("fp8_e3m4"), np.dtype(np.float64), False) is None


@pytest.mark.parametrize(
    "name", ["fp4_e2m1", "fp6_e3m2", "fp5_e3m1", "bitmod_fp4_ea_pos", "bitmod_fp3_er_neg", "flint4"]
)
def test_float64_lookup_equals_exact_path(name):
    fmt = formats.get(name)
    rng = np.random.default_rng(4)
    bits = rng.integers(0, 1 << 63, size=100_000, dtype=np.uint64) * np.uint64(2)
    with np.errstate(invalid="ignore"):
        x = np.concatenate([bits.view(np.float64), ties_and_neighbours(fmt).astype(np.float64)])
        x = np.concatenate([x, x / 3.0, np.nextafter(x, np.inf), rng.standard_normal(50_000) * 8])
    sat = True
    np.testing.assert_array_equal(fmt.encode(x, saturate=sat), fmt.encode_exact(x, saturate=sat))


def test_parametric_minifloat_defaults():
    f = formats.get("fp3_e2m0")
    assert sorted(set(f.values().tolist())) == [-4.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0]
    assert f.specials is SpecialPolicy.NONE
    assert formats.get("fp8_e3m4").specials is SpecialPolicy.IEEE
    assert formats.get("fp16").values()[0x3C00] == 1.0
    assert formats.get("bf16").values()[0x3F80] == 1.0
    assert formats.get("fp8_e4m3_b5").bias == 5
    assert formats.get("fp8_e4m3_bm2").bias == -2


@pytest.mark.parametrize("name", ["fp16", "bf16"])
def test_16_bit_formats_match_numpy_and_ml_dtypes(name):
    fmt = formats.get(name)
    ref_t = np.float16 if name == "fp16" else ml_dtypes.bfloat16
    codes = np.arange(1 << 16, dtype=np.uint16)
    with np.errstate(invalid="ignore"):
        ref_values = codes.view(ref_t).astype(np.float64)
    np.testing.assert_array_equal(fmt.values(), ref_values)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(100_000) * np.exp(rng.uniform(-20, 20, 100_000))
    x32 = x.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(fmt.encode(x32), x32.astype(ref_t).view(np.uint16))


def test_bf16_int_values_are_exact_python_ints():
    fmt = formats.get("bf16")
    iv = fmt.int_values
    assert iv.dtype == object
    one = 0x3F80
    assert Fraction(iv[one]) * Fraction(2) ** fmt.lsb_exp == 1


def test_no_subnormals_flushes():
    f = MinifloatFormat(exp_bits=4, man_bits=3, subnormals=False, specials=SpecialPolicy.FN)
    assert f.name == "fp8_e4m3_nosub"  # fn is the unsuffixed E4M3 policy
    assert f.min_positive == 2.0**f.emin
    half = 2.0 ** (f.emin - 1)
    out = f.decode(f.encode(np.array([half * 0.99, half, half * 1.01])))
    assert out.tolist() == [0.0, 0.0, 2.0**f.emin]


# ---------------------------------------------------------------- published value sets
BITMOD = {  # BitMoD authors' code units (shared/reference/formats.md)
    "fp3": ({0, 1, 2, 4, -1, -2, -4}, {"er_pos": 3, "er_neg": -3, "ea_pos": 6, "ea_neg": -6}),
    "fp4": (
        {0, 1, 2, 3, 4, 6, 8, 12, -1, -2, -3, -4, -6, -8, -12},
        {"er_pos": 10, "er_neg": -10, "ea_pos": 16, "ea_neg": -16},
    ),
}


@pytest.mark.parametrize("base", ["fp3", "fp4"])
def test_bitmod_value_sets(base):
    common, extras = BITMOD[base]
    mix = formats.get(f"bitmod_{base}")
    assert [v.name for v in mix.variants] == [f"bitmod_{base}_{k}" for k in extras]
    for tag, extra in extras.items():
        fmt = formats.get(f"bitmod_{base}_{tag}")
        assert set(fmt.values().tolist()) == common | {extra}
        assert fmt.values().size == len(common) + 1  # the -0 code now carries the extra value
    assert mix.bits == int(base[-1]) and mix.selector_bits == 2


def test_flint4_values():
    fmt = formats.get("flint4")
    assert set(fmt.values().tolist()) == {0, 1, 2, 3, 4, 6, 8, 16, -1, -2, -3, -4, -6, -8, -16}


def test_table_rounding_ties():
    fmt = formats.get("bitmod_fp4_er_pos")  # codes: 0..7 -> 0,1,2,3,4,6,8,12; 8 -> +10
    dec = fmt.decode(fmt.encode(np.array([5.0, 7.0, 9.0, 11.0, 100.0, -100.0, 2.5])))
    # 5: 4 (code 4, even) vs 6 (code 5); 7: 6 (code 5) vs 8 (code 6, even);
    # 9: 8 (code 6) vs 10 (code 8): both even -> smaller magnitude; 11: 10 (8) vs 12 (7).
    assert dec.tolist() == [4.0, 8.0, 8.0, 10.0, 12.0, -12.0, 2.0]


# ---------------------------------------------------------------- integers
def test_int_encode_rounds_half_even_and_saturates():
    f = formats.get("int4")
    assert f.decode(f.encode([0.5, 1.5, 2.5, -0.5, -2.5, 7.6, -9.0])).tolist() == [
        0,
        2,
        2,
        -0.0,
        -2,
        7,
        -8,
    ]
    n = formats.get("int4_narrow")
    assert n.decode(n.encode([-9.0])).tolist() == [-7.0]
    assert n.max_abs == 7 and f.max_abs == 7 and formats.get("uint4").max_abs == 15


def test_int_codes_are_twos_complement():
    f = formats.get("int8")
    assert f.encode([-1, -128, 127]).tolist() == [0xFF, 0x80, 0x7F]


# ---------------------------------------------------------------- hardware decomposition
@pytest.mark.parametrize(
    "name",
    [
        "int8",
        "uint8",
        "fp8_e4m3",
        "fp8_e5m2",
        "fp6_e3m2",
        "fp6_e2m3",
        "fp4_e2m1",
        "flint4",
        "bitmod_fp3_ea_neg",
        "fp16",
        "fp8_e4m3_nosub_fn",
        "fp3_e2m0",
    ],
)
def test_sig_exp_reproduces_every_value(name):
    fmt = formats.get(name)
    se = fmt.sig_exp
    fin = fmt.finite_mask
    vals = np.ldexp(se.sig.astype(np.float64), (se.exp + fmt.lsb_exp).astype(np.int32))
    np.testing.assert_array_equal(vals[fin], np.abs(fmt.values()[fin]) * np.sign(fmt.values()[fin]))
    assert se.sig.min() >= -(1 << (se.sig_width - 1))
    assert se.sig.max() < 1 << (se.sig_width - 1)
    iv = np.asarray(fmt.int_values, dtype=np.float64)
    np.testing.assert_array_equal(np.ldexp(iv[fin], fmt.lsb_exp), fmt.values()[fin] + 0.0)


# ---------------------------------------------------------------- properties
PROPERTY_FORMATS = [
    "fp8_e4m3",
    "fp8_e5m2",
    "fp6_e3m2",
    "fp4_e2m1",
    "int4",
    "bitmod_fp3_er_pos",
    "fp16",
    "fp5_e3m1",
    "flint4",
]


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(PROPERTY_FORMATS), data=st.data())
def test_round_trip_of_every_value(name, data):
    fmt = formats.get(name)
    code = data.draw(st.sampled_from(np.flatnonzero(fmt.finite_mask).tolist()))
    v = fmt.values()[code]
    assert fmt.decode(fmt.encode(np.float64(v))) == v


@functools.cache
def _sorted_finite(name: str) -> np.ndarray:
    fmt = formats.get(name)
    return np.unique(fmt.values()[fmt.finite_mask])


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(PROPERTY_FORMATS),
    x=st.floats(allow_nan=False, allow_infinity=False, width=64),
    y=st.floats(allow_nan=False, allow_infinity=False, width=64),
)
def test_monotone_and_nearest(name, x, y):
    fmt = formats.get(name)
    sat = True
    qx, qy = fmt.decode(fmt.encode(np.array([x, y]), saturate=sat))
    if x <= y:
        assert qx <= qy
    inside = fmt.min_value <= x <= fmt.max_value
    if inside:
        # The nearest finite value is one of x's two neighbours in the sorted value set
        # (float64 comparisons are exact); only they need the exact distance.
        finite = _sorted_finite(name)
        i = int(np.searchsorted(finite, x))
        near = finite[max(0, i - 1) : i + 1]
        best = min(abs(Fraction(x) - Fraction(float(v))) for v in near)
        assert abs(Fraction(x) - Fraction(qx)) == best


# ---------------------------------------------------------------- validation messages
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(exp_bits=0, man_bits=3), "exp_bits must be >= 1, not 0"),
        (dict(exp_bits=4, man_bits=-1), "man_bits must be >= 0, not -1"),
        (dict(exp_bits=8, man_bits=24), r"a minifloat has at most 32 bits, not 33"),
        (dict(exp_bits=1, man_bits=2, specials="ieee"), "specials='ieee' needs exp_bits >= 2"),
        (dict(exp_bits=4, man_bits=3, specials="odd"), "specials must be one of ieee, fn, none"),
        (dict(exp_bits=4, man_bits=3, bias=1.5), r"bias must be an integer, not 1\.5"),
    ],
)
def test_minifloat_validation(kwargs, message):
    with pytest.raises(HwgenError, match=message):
        MinifloatFormat(**kwargs)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: IntFormat(bits=1), "integer bits must be in 2..16, not 1"),
        (lambda: IntFormat(bits=17), "integer bits must be in 2..16, not 17"),
        (lambda: IntFormat(bits=4, signed=False, narrow=True), "narrow range applies to signed"),
        (lambda: TableFormat(name="t", table=(0.0, 1.0, 2.0)), "needs 2\\*\\*bits values"),
        (lambda: TableFormat(name="t", table=(0.0, math.inf)), "must hold finite values only"),
        (lambda: formats.get("int8").encode([np.nan]), "cannot encode NaN into int8"),
        (lambda: formats.get("int8").encode([1.0], saturate=False), "int8 always saturates"),
        (lambda: formats.get("fp4_e2m1").decode([16]), r"codes must be in \[0, 15\]"),
    ],
)
def test_other_validation(call, message):
    with pytest.raises(HwgenError, match=message):
        call()


def test_unknown_format_suggests_close_names():
    with pytest.raises(
        UnknownFormatError, match=r"unknown format 'fp8e4m3'; did you mean fp8_e4m3"
    ):
        formats.get("fp8e4m3")


def test_inconsistent_fp_width_is_explained():
    with pytest.raises(UnknownFormatError, match=r"fp7 must have 1 \+ exponent \+ mantissa = 7"):
        formats.get("fp7_e4m3")


def test_mixture_rejected_where_a_format_is_needed():
    with pytest.raises(UnknownFormatError, match="per-group mixture"):
        formats.get_format("bitmod_fp4")
