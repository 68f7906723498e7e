"""Minifloats wider than 16 bits: ``fp32`` bit-exact with numpy float32, arithmetic paths.

numpy's float64 -> float32 cast is the hardware conversion (one IEEE rounding, RNE,
overflow to inf) and ``view(float32)`` is the IEEE decoding: both are the reference here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen import formats
from hwgen.errors import HwgenError
from hwgen.formats import MinifloatFormat, SpecialPolicy
from hwgen.formats.wide import decode_fields

FP32 = formats.get("fp32")


def np_encode(x: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(x, dtype=np.float64).astype(np.float32).view(np.uint32)


def pattern_sample() -> np.ndarray:
    """Every exponent x edge mantissas x both signs, plus a strided sweep of all 2**32."""
    exps = np.arange(256, dtype=np.uint32)
    mants = np.array(
        [0, 1, 2, 3, 0x3FFFFF, 0x400000, 0x400001, 0x555555, 0x7FFFFE, 0x7FFFFF], np.uint32
    )
    grid = (exps[:, None] << np.uint32(23)) | mants[None, :]
    grid = np.concatenate([grid.ravel(), grid.ravel() | np.uint32(1 << 31)])
    stride = np.arange(0, 1 << 32, 65521, dtype=np.uint64).astype(np.uint32)  # prime stride
    return np.concatenate([grid, stride])


def test_fp32_layout_facts():
    assert (FP32.bits, FP32.exp_bits, FP32.man_bits, FP32.bias) == (32, 8, 23, 127)
    assert FP32.specials is SpecialPolicy.IEEE and FP32.subnormals
    assert FP32.max_value == float(np.finfo(np.float32).max)
    assert FP32.min_positive == float(np.finfo(np.float32).smallest_subnormal)
    assert 2.0**FP32.emin == float(np.finfo(np.float32).smallest_normal)
    assert FP32.inf_codes == (0x7F800000, 0xFF800000)
    assert FP32.canonical_nan == 0x7FC00000
    assert FP32.code_dtype is np.uint32


def test_decode_every_pattern_class_matches_numpy():
    codes = pattern_sample()
    with np.errstate(invalid="ignore"):  # signalling-NaN patterns
        ref = codes.view(np.float32).astype(np.float64)
    got = FP32.decode(codes)
    nan = np.isnan(ref)
    np.testing.assert_array_equal(np.isnan(got), nan)
    # NaN payloads are not carried; the sign is.
    np.testing.assert_array_equal(np.signbit(got), np.signbit(ref))
    np.testing.assert_array_equal(got[~nan].view(np.uint64), ref[~nan].view(np.uint64))
    np.testing.assert_array_equal(FP32.decode(codes, dtype=np.float32)[~nan], ref[~nan])


def test_float32_input_passes_through_bit_for_bit():
    codes = pattern_sample()
    np.testing.assert_array_equal(FP32.encode(codes.view(np.float32)), codes)


def test_encode_from_float64_matches_numpy_on_every_class_and_its_neighbours():
    codes = pattern_sample()
    with np.errstate(invalid="ignore"):
        f = codes.view(np.float32).astype(np.float64)
    f = f[np.isfinite(f)]
    # Midpoints to the next float32 up (ties), and one float64 ulp either side of them.
    with np.errstate(over="ignore"):
        up = np.nextafter(f.astype(np.float32), np.float32(np.inf)).astype(np.float64)
    mid = f + (up - f) / 2
    mid = mid[np.isfinite(mid)]
    x = np.concatenate(
        [f, mid, np.nextafter(mid, np.inf), np.nextafter(mid, -np.inf), f * (1 + 2**-30)]
    )
    np.testing.assert_array_equal(FP32.encode(x), np_encode(x))


def test_overflow_boundary_and_specials():
    top = 2.0**128 * (1 - 2.0**-25)  # halfway between max and 2**128: tie to even -> inf
    x = np.array([top, np.nextafter(top, 0), -top, np.inf, -np.inf, 1e300, -0.0, 0.0, 2**-150])
    got = FP32.encode(x)
    np.testing.assert_array_equal(got, np_encode(x))
    assert got[0] == 0x7F800000 and got[1] == 0x7F7FFFFF and got[2] == 0xFF800000
    assert got[6] == 0x80000000 and got[8] == 0  # 2**-150 is a tie with 0: even -> +0
    sat = FP32.encode(x[:5], saturate=True)
    assert sat.tolist() == [0x7F7FFFFF, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F7FFFFF, 0xFF7FFFFF]


def test_nan_policy():
    x = np.array([np.nan, -np.nan], np.float64)
    assert FP32.encode(x).tolist() == [0x7FC00000, 0xFFC00000]  # canonical quiet, sign kept
    payload = np.array([0x7FA00001], np.uint32).view(np.float32)
    assert FP32.encode(payload).tolist() == [0x7FA00001]  # float32 input: bits unchanged


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=False, width=64), min_size=1, max_size=64))
def test_encode_matches_numpy_astype_float32(xs):
    x = np.array(xs, dtype=np.float64)
    np.testing.assert_array_equal(FP32.encode(x), np_encode(x))


@pytest.mark.parametrize("what", ["values()", "int_values", "sig_exp", "finite_mask", "nan_codes"])
def test_code_enumerating_apis_refuse_with_the_limit(what):
    expected = (
        f"{what} of fp32 would enumerate 2**32 codes; value tables exist only for formats"
        " of at most 16 bits (use encode/decode)"
    )
    with pytest.raises(HwgenError) as info:
        FP32.values() if what == "values()" else getattr(FP32, what)
    assert str(info.value) == expected


def test_formats_table_refuses_fp32_in_one_line(cli):
    code, out, err = cli("formats", "table", "fp32")
    assert (code, out) == (2, "")
    assert err.startswith("hwgen: error: values() of fp32 would enumerate 2**32 codes")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "name",
    [
        "fp16",
        "bf16",
        "fp8_e4m3",
        "fp8_e5m2",
        "fp6_e2m3",
        "fp16_e5m10_nosub",
        "fp12_e4m7_fn",
        "fp10_e3m6_b1",
    ],
)
def test_arithmetic_paths_equal_the_tables_of_narrow_formats(name):
    fmt = formats.get(name)
    codes = np.arange(1 << fmt.bits)
    got, ref = decode_fields(fmt, codes), fmt.values()
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(ref))
    finite = ref[np.isfinite(ref)]
    assert fmt.max_value == finite.max() and fmt.min_value == finite.min()
    assert fmt.min_positive == finite[finite > 0].min()
    assert set(fmt.inf_codes) == set(np.flatnonzero(np.isinf(ref)).tolist())


@pytest.mark.parametrize("name", ["fp24_e8m15", "fp20_e6m13_fn", "fp32_e5m26", "fp28_e8m19_nosub"])
def test_parametric_wide_formats_round_trip(name):
    fmt = formats.get(name)
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 1 << fmt.bits, 20_000, dtype=np.uint64).astype(np.uint32)
    v = fmt.decode(codes)
    back = fmt.encode(v)
    ok = np.isfinite(v) & ~((v == 0) & ((codes & ((1 << (fmt.bits - 1)) - 1)) != 0))
    np.testing.assert_array_equal(back[ok], codes[ok])
    assert np.all(np.isnan(fmt.decode(back[np.isnan(v)])))


def test_minifloat_width_and_range_limits():
    with pytest.raises(HwgenError, match="at most 32 bits, not 33"):
        MinifloatFormat(exp_bits=8, man_bits=24)
    with pytest.raises(HwgenError, match=r"spans 4097 binades of values, more than float64.s 2098"):
        MinifloatFormat(exp_bits=12, man_bits=3)
