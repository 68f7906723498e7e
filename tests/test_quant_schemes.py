"""Scaled quantization: absmax groups, OCP MX blocks and BitMoD selection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hwgen.errors import HwgenError
from hwgen.formats import MixtureFormat, get
from hwgen.quant import (
    MX_ELEMENT_FORMATS,
    MX_SCALE_EXP_RANGE,
    Scheme,
    default_scheme,
    mx_emax,
    quantize,
    quantize_bitmod,
    quantize_groups,
    quantize_mx,
)

ABSMAX_FORMATS = ["int4", "int8", "fp4_e2m1", "fp6_e2m3", "fp8_e4m3", "fp8_e5m2", "flint4"]
# emax_elem of every MX element format (OCP MX 1.0, shared/reference/formats.md).
MX_EMAX_FACTS = {
    "fp8_e4m3": 8,
    "fp8_e5m2": 15,
    "fp6_e3m2": 4,
    "fp6_e2m3": 2,
    "fp4_e2m1": 2,
    "int8": 0,
}


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _rel_mse(x: np.ndarray, q: np.ndarray) -> float:
    return float(np.sum((x - q) ** 2) / np.sum(x.astype(np.float64) ** 2))


def _grid(fmt) -> np.ndarray:
    """Distinct finite values of a format, ascending."""
    return np.unique(fmt.values()[fmt.finite_mask])


# ----------------------------------------------------------------------- absmax groups
@pytest.mark.parametrize("name", ABSMAX_FORMATS)
def test_groups_round_trip_within_half_a_step(name: str) -> None:
    fmt = get(name)
    x = _rng().standard_normal((6, 64)) * 3.0
    r = quantize_groups(x, fmt, group_size=16)
    scale = np.repeat(r.scales, 16, axis=-1)
    y = x / scale
    grid = _grid(fmt)
    i = np.clip(np.searchsorted(grid, y), 1, grid.size - 1)
    lo, hi = grid[i - 1], grid[i]
    # The code is one of the two neighbours and no farther than half their gap.
    q = r.dequant / scale
    assert np.all(np.isclose(q, lo, rtol=1e-12, atol=0) | np.isclose(q, hi, rtol=1e-12, atol=0))
    assert np.all(np.abs(r.dequant - x) <= (hi - lo) / 2 * scale * (1 + 1e-12))
    np.testing.assert_array_equal(r.dequant, fmt.decode(r.codes) * scale)


@pytest.mark.parametrize("name", ["int4", "fp4_e2m1"])
def test_groups_do_not_clip_the_absmax_element(name: str) -> None:
    fmt = get(name)
    x = _rng(1).standard_normal((4, 32))
    x[2, 5] = -40.0  # a negative outlier: max_abs must be reachable on the negative side
    r = quantize_groups(x, fmt, group_size=8)
    g = x.reshape(4, 4, 8)
    idx = np.argmax(np.abs(g), axis=-1)[..., None]
    at_max = np.take_along_axis(r.dequant.reshape(4, 4, 8), idx, axis=-1)
    np.testing.assert_array_max_ulp(at_max, np.take_along_axis(g, idx, axis=-1), maxulp=1)
    np.testing.assert_array_equal(
        np.abs(fmt.decode(r.codes)).reshape(4, 4, 8).max(axis=-1), fmt.max_abs
    )


def test_groups_zero_group_has_scale_one_and_zero_codes() -> None:
    fmt = get("fp4_e2m1")
    x = np.zeros((2, 8))
    x[1, 4:] = [1.0, -2.0, 3.0, 0.5]
    r = quantize_groups(x, fmt, group_size=4)
    assert r.scales.tolist() == [[1.0, 1.0], [1.0, 3.0 / fmt.max_abs]]
    assert np.all(fmt.decode(r.codes[:, :4]) == 0)
    assert r.selector is None and r.scale_codes is None


def test_groups_along_axis_zero_match_transposed_input() -> None:
    fmt = get("int4")
    x = _rng(2).standard_normal((3, 16, 5)).astype(np.float32)
    r0 = quantize_groups(x, fmt, group_size=4, axis=1)
    r1 = quantize_groups(np.moveaxis(x, 1, -1), fmt, group_size=4)
    assert r0.codes.shape == x.shape and r0.scales.shape == (3, 4, 5)
    np.testing.assert_array_equal(r0.codes, np.moveaxis(r1.codes, -1, 1))
    np.testing.assert_array_equal(r0.scales, np.moveaxis(r1.scales, -1, 1))


def test_result_arrays_are_read_only() -> None:
    r = quantize_groups(np.ones((2, 4)), get("int4"), group_size=4)
    with pytest.raises(ValueError, match="read-only"):
        r.codes[0, 0] = 1


@settings(max_examples=60, deadline=None)
@given(
    x=hnp.arrays(
        np.float64,
        (4, 16),
        elements=st.floats(-1e3, 1e3, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-3),
    ),
    k=st.integers(-30, 30),
    name=st.sampled_from(ABSMAX_FORMATS),
)
def test_groups_rel_mse_invariant_to_power_of_two_scaling(x: np.ndarray, k: int, name: str) -> None:
    assume(np.any(x))  # rel_mse is undefined for an all-zero tensor
    fmt = get(name)
    a = quantize_groups(x, fmt, group_size=8)
    b = quantize_groups(np.ldexp(x, k), fmt, group_size=8)
    np.testing.assert_array_equal(a.codes, b.codes)
    assert _rel_mse(np.ldexp(x, k), b.dequant) == pytest.approx(_rel_mse(x, a.dequant), rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(group_size=0), "group_size must be >= 1, not 0"),
        (dict(group_size=5), "group_size 5 does not divide the length 12 of axis -1"),
        (dict(group_size=2.0), r"group_size must be an integer, not 2\.0"),
        (dict(group_size=4, axis=2), r"axis 2 is out of range for a 2-d array \(allowed -2\.\.1\)"),
    ],
)
def test_groups_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(HwgenError, match=f"^{message}$"):
        quantize_groups(np.ones((3, 12)), get("int4"), **kwargs)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_groups_reject_non_finite_input(bad: float) -> None:
    x = np.ones((2, 4))
    x[1, 2] = bad
    with pytest.raises(HwgenError, match=r"^input holds 1 NaN/inf value\(s\); only finite"):
        quantize_groups(x, get("fp4_e2m1"), group_size=4)


def test_groups_reject_scalars_complex_and_mixtures() -> None:
    with pytest.raises(HwgenError, match="not a scalar"):
        quantize_groups(np.float64(1.0), get("int4"), group_size=1)
    with pytest.raises(
        HwgenError,
        match=r"^quantize needs real numbers \(integer or floating\), not complex values",
    ):
        quantize_groups(np.ones(4, complex), get("int4"), group_size=4)
    with pytest.raises(HwgenError, match="not the mixture bitmod_fp4 \\(use quantize_bitmod\\)"):
        quantize_groups(np.ones(4), get("bitmod_fp4"), group_size=4)


# ----------------------------------------------------------------------- MX
@pytest.mark.parametrize("name", MX_ELEMENT_FORMATS)
def test_mx_emax_matches_the_specification(name: str) -> None:
    assert mx_emax(name) == MX_EMAX_FACTS[name]


def test_mx_hand_worked_fp4_blocks() -> None:
    # Block 0: amax 5 -> floor(log2 5) = 2, minus emax 2 -> scale 2**0. -0.3 is nearer
    # -0.5 than 0; 5.0 is the tie between 4 and 6 and goes to the even code (4).
    # Block 1: amax 7.9 -> scale 2**0, 7.9 saturates to 6.
    # Block 2: amax 0.1 -> floor(log2 0.1) = -4 -> scale 2**-6; 0.1 * 64 = 6.4 -> 6,
    # -0.05 * 64 = -3.2 -> -3, 0.02 * 64 = 1.28 -> 1.5.
    # Block 3: all zero -> E8M0 minimum 2**-127.
    x = np.array(
        [[1.0, -0.3, 2.9, 5.0], [7.9, 0.0, -1.25, 1.0], [0.1, 0.0, -0.05, 0.02], [0.0] * 4]
    )
    r = quantize_mx(x, "fp4_e2m1", block_size=4)
    expected = [
        [1.0, -0.5, 3.0, 4.0],
        [6.0, 0.0, -1.0, 1.0],
        [6 / 64, 0.0, -3 / 64, 1.5 / 64],
        [0.0] * 4,
    ]
    np.testing.assert_array_equal(r.dequant, expected)
    assert r.scale_codes.tolist() == [[127], [127], [121], [0]]
    np.testing.assert_array_equal(r.scales, np.ldexp(1.0, r.scale_codes.astype(int) - 127))


@pytest.mark.parametrize("name", MX_ELEMENT_FORMATS)
def test_mx_shared_exponent_at_powers_of_two(name: str) -> None:
    ks = np.arange(-20, 21)
    at = np.ldexp(1.0, ks)  # amax = 2**k      -> floor(log2) = k
    below = np.nextafter(at, 0)  # amax just below -> floor(log2) = k - 1
    x = np.stack([at, below], axis=1)[..., None] * np.array([1.0, -0.25])
    r = quantize_mx(x.reshape(-1, 2), name, block_size=2)
    shared = r.scale_codes.astype(int)[:, 0].reshape(-1, 2) - 127
    np.testing.assert_array_equal(shared[:, 0], ks - MX_EMAX_FACTS[name])
    np.testing.assert_array_equal(shared[:, 1], ks - 1 - MX_EMAX_FACTS[name])


def test_mx_power_of_two_boundary_costs_precision_in_fp4() -> None:
    # amax a hair below 4 gets scale 2**-1: 3.99 * 2 = 7.98 saturates at 6 -> dequant 3.
    r = quantize_mx(np.array([np.nextafter(4.0, 0), 1.0]), "fp4_e2m1", block_size=2)
    assert r.dequant.tolist() == [3.0, 1.0]


def test_mx_rows_beyond_e8m0_get_a_power_of_two_first_level_scale() -> None:
    lo, hi = MX_SCALE_EXP_RANGE
    x = np.array([[2.0**200, 1.0, 1.0, 1.0], [2.0**-200, 0.0, 0.5, 0.25], [1.0, 0.5, 2.0, 3.0]])
    r = quantize_mx(x, "fp8_e4m3", block_size=2)
    e8 = r.scale_codes.astype(int) - 127
    # Row 0: block exponents 192 and -8 -> shifted by 2**65 so that 192 -> 127.
    assert e8[0].tolist() == [hi, -8 - 65] and r.row_scales[0] == 2.0**65
    # Row 1: -208 and -9 -> shifted by 2**-81; row 2 fits E8M0 and keeps 2**0.
    assert e8[1].tolist() == [lo, -9 + 81] and r.row_scales[1] == 2.0**-81
    assert r.row_scales[2] == 1.0
    np.testing.assert_array_equal(r.dequant[:2, 0], x[:2, 0])  # nothing saturates or flushes
    np.testing.assert_array_equal(r.scales, np.ldexp(r.row_scales[:, None], e8))


def test_mx_rows_spanning_more_than_e8m0_fit_their_largest_block() -> None:
    x = np.array([[2.0**200, 1.0, 2.0**-200, 2.0**-201]])
    r = quantize_mx(x, "fp4_e2m1", block_size=2)
    assert (r.scale_codes.astype(int) - 127).tolist() == [[127, -127]]
    assert r.dequant[0, 0] == 2.0**200 and r.dequant[0, 2] == 0.0


def test_mxint8_is_one_point_six_fixed_point_with_symmetric_clamp() -> None:
    fmt = get("int8")
    x = np.array([[1.0, -0.5, 0.25, 1.5], [1.999, -1.999, 0.0, 1.0]])
    r = quantize_mx(x, fmt, block_size=4)
    vals = fmt.decode(r.codes)
    assert vals[0].tolist() == [64, -32, 16, 96]
    assert vals[1].tolist() == [fmt.max_abs, -fmt.max_abs, 0, 64]
    np.testing.assert_array_equal(r.dequant, vals * 2.0**-6 * r.scales.repeat(4, axis=1))


def test_mx_codes_invariant_to_power_of_two_scaling() -> None:
    x = _rng(3).standard_normal((8, 64))
    a = quantize_mx(x, "fp6_e3m2")
    b = quantize_mx(x * 2.0**-9, "fp6_e3m2")
    np.testing.assert_array_equal(a.codes, b.codes)
    np.testing.assert_array_equal(a.scale_codes.astype(int) - 9, b.scale_codes.astype(int))


def test_mx_rejects_non_mx_elements() -> None:
    with pytest.raises(HwgenError, match=r"^MX element format must be one of .*, not int4$"):
        quantize_mx(np.ones(32), "int4")


# ----------------------------------------------------------------------- BitMoD
def _extras(mix: MixtureFormat) -> list[float]:
    """Each variant's extra value: the one its table has and the others lack."""
    common = set.intersection(*(set(v.values().tolist()) for v in mix.variants))
    out = []
    for v in mix.variants:
        (extra,) = set(v.values().tolist()) - common
        out.append(extra)
    return out


@pytest.mark.parametrize("name", ["bitmod_fp3", "bitmod_fp4"])
def test_bitmod_picks_the_variant_of_a_planted_outlier(name: str) -> None:
    mix = get(name)
    extras = _extras(mix)
    common = sorted(set.intersection(*(set(v.values().tolist()) for v in mix.variants)))
    # One group per variant: the common values plus that variant's extra value, scaled.
    groups = np.array([[e, *common] for e in extras]) * 0.0371
    r = quantize_bitmod(groups, mix, group_size=groups.shape[1])
    assert r.selector[:, 0].tolist() == list(range(len(mix.variants)))
    np.testing.assert_allclose(r.dequant, groups, rtol=1e-12, atol=0)


def test_bitmod_fp3_plus_three_units_selects_er_pos() -> None:
    mix = get("bitmod_fp3")
    group = np.array([3.0, 4.0, 2.0, 1.0, 0.0, -1.0, -2.0, -4.0]) * 0.5
    r = quantize_bitmod(group, mix, group_size=8)
    assert mix.variants[r.selector[0]].name == "bitmod_fp3_er_pos"


def test_bitmod_ties_go_to_the_lowest_variant_index() -> None:
    mix = get("bitmod_fp3")
    common = sorted(set.intersection(*(set(v.values().tolist()) for v in mix.variants)))
    # Only common values with absmax = the base maximum: every variant whose max magnitude
    # equals that maximum reproduces the group exactly.
    g = np.array([common, [0.0] * len(common)])
    r = quantize_bitmod(g, mix, group_size=len(common))
    exact = [i for i, v in enumerate(mix.variants) if v.max_magnitude == max(common)]
    assert r.selector[:, 0].tolist() == [exact[0], 0]
    assert r.scales[1, 0] == 1.0  # an all-zero group keeps scale 1


def _reference_bitmod(x: np.ndarray, mix: MixtureFormat, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-group, per-variant MSE by brute-force nearest value (no encode involved)."""
    grp = x.reshape(-1, g)
    absmax = np.abs(grp).max(axis=1, keepdims=True)
    mses = []
    for v in mix.variants:
        vals = v.values()
        scale = np.where(absmax > 0, absmax / np.abs(vals).max(), 1.0)
        y = grp / scale
        near = vals[np.argmin(np.abs(y[..., None] - vals), axis=-1)]
        mses.append(np.mean((grp - near * scale) ** 2, axis=1))
    m = np.stack(mses, axis=1)
    return np.argmin(m, axis=1), np.min(m, axis=1)


@settings(max_examples=40, deadline=None)
@given(
    x=hnp.arrays(np.float64, (6, 8), elements=st.floats(-10, 10, allow_nan=False)),
    name=st.sampled_from(["bitmod_fp3", "bitmod_fp4"]),
)
def test_bitmod_selection_matches_brute_force(x: np.ndarray, name: str) -> None:
    mix = get(name)
    sel, mse = _reference_bitmod(x, mix, 8)
    r = quantize_bitmod(x, mix, group_size=8)
    got_mse = np.mean((x.reshape(-1, 8) - r.dequant.reshape(-1, 8)) ** 2, axis=1)
    np.testing.assert_allclose(got_mse, mse, rtol=1e-9, atol=1e-20)  # float rounding of y
    # Where the best MSE is unique the same variant must win.
    ref_all = np.array(
        [_reference_bitmod(x, MixtureFormat(name="one", variants=(v,)), 8)[1] for v in mix.variants]
    ).T
    # Errors within float rounding of the group's energy are ties (the two sides compute
    # them in different units: scaled or not).
    energy = np.mean(x.reshape(-1, 8) ** 2, axis=1)[:, None]
    close = np.isclose(ref_all, mse[:, None], rtol=1e-9, atol=0) | (
        np.abs(ref_all - mse[:, None]) <= 1e-12 * energy
    )
    unique = np.sum(close, axis=1) == 1
    np.testing.assert_array_equal(r.selector.reshape(-1)[unique], sel[unique])


def test_bitmod_second_level_int8_scales() -> None:
    mix = get("bitmod_fp4")
    x = _rng(4).standard_normal((3, 512))
    x[1, :128] *= 1e-4  # a tiny group next to normal ones: its code must not collapse to 0
    fp = quantize_bitmod(x, mix, group_size=128)
    q = quantize_bitmod(x, mix, group_size=128, second_level_int8=True)
    codes = q.scale_codes.astype(np.int64)
    assert q.scale_codes.dtype == np.uint8 and codes.shape == fp.scales.shape
    row = fp.scales.max(axis=1, keepdims=True) / 255
    np.testing.assert_array_equal(codes.max(axis=1), 255)
    np.testing.assert_array_equal(codes, np.clip(np.rint(fp.scales / row), 1, 255))
    assert codes[1, 0] == 1
    np.testing.assert_allclose(q.scales, codes * row, rtol=1e-15)
    np.testing.assert_array_equal(q.selector, fp.selector)
    # Elements are re-rounded against the stored scale: dequant = value x stored scale.
    vals = np.stack(
        [
            mix.variants[s].decode(c)
            for s, c in zip(q.selector.repeat(128, axis=1).ravel(), q.codes.ravel(), strict=True)
        ]
    )
    np.testing.assert_allclose(q.dequant.ravel(), vals * q.scales.repeat(128, axis=1).ravel())
    # INT8 group scales are nearly lossless (BitMoD Table V).
    rows = [0, 2]
    assert _rel_mse(x[rows], q.dequant[rows]) < 1.02 * _rel_mse(x[rows], fp.dequant[rows])


def test_bitmod_rejects_plain_formats_and_bad_flag() -> None:
    with pytest.raises(
        HwgenError, match=r"^quantize_bitmod needs a mixture such as bitmod_fp4, not"
    ):
        quantize_bitmod(np.ones(128), "int4")
    with pytest.raises(HwgenError, match=r"^second_level_int8 must be True or False, not 1$"):
        quantize_bitmod(np.ones(128), "bitmod_fp4", second_level_int8=1)


# ----------------------------------------------------------------------- entry point
def test_quantize_chooses_the_scheme_from_the_format() -> None:
    x = _rng(5).standard_normal((4, 64))
    assert default_scheme(get("bitmod_fp3")) is Scheme.BITMOD
    assert default_scheme(get("fp4_e2m1")) is Scheme.ABSMAX
    auto = quantize(x, "bitmod_fp3", group_size=32)
    np.testing.assert_array_equal(
        auto.dequant, quantize_bitmod(x, "bitmod_fp3", group_size=32).dequant
    )
    np.testing.assert_array_equal(
        quantize(x, "int4", group_size=16).dequant,
        quantize_groups(x, get("int4"), group_size=16).dequant,
    )
    mx = quantize(x, "fp8_e4m3", group_size=32, scheme="mx")
    np.testing.assert_array_equal(mx.scale_codes, quantize_mx(x, "fp8_e4m3").scale_codes)


def test_quantize_bad_scheme_and_combinations() -> None:
    x = np.ones((2, 32))
    with pytest.raises(HwgenError, match=r"^scheme must be one of absmax, mx, bitmod, not 'ant'$"):
        quantize(x, "int4", group_size=32, scheme="ant")
    with pytest.raises(HwgenError, match="needs a mixture such as bitmod_fp4, not int4"):
        quantize(x, "int4", group_size=32, scheme=Scheme.BITMOD)
    with pytest.raises(HwgenError, match="applies to the bitmod scheme only, not absmax"):
        quantize(x, "int4", group_size=32, second_level_int8=True)
    with pytest.raises(HwgenError, match="unknown format 'fp4_e2m'; did you mean fp4_e2m1"):
        quantize(x, "fp4_e2m", group_size=32)


# ----------------------------------------------------------------------- scale invariance
def _rel(x: np.ndarray, name: str, scheme: str | None = None, g: int = 32) -> float:
    r = quantize(x, name, group_size=g, scheme=scheme, second_level_int8=(scheme == "bitmod"))
    return float(np.sum((x - r.dequant) ** 2) / np.sum(x**2))


INVARIANT = ["int4", "int8", "fp4_e2m1", "fp8_e4m3", "flint4", "uint4"]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    factor=st.sampled_from([1e-6, 1e-12, 1e5, 1e-30, 3.7e20, "max"]),
    name=st.sampled_from([*INVARIANT, "bitmod_fp4", "bitmod_fp3"]),
)
def test_rel_mse_is_invariant_to_the_weights_scale(seed: int, factor, name: str) -> None:
    x = _rng(seed).standard_t(4, (4, 128)) * 0.02
    c = 1e38 / np.max(np.abs(x)) if factor == "max" else factor  # "all ~1e38"
    scheme = "bitmod" if name.startswith("bitmod") else None
    want = _rel(x, name, scheme)
    assert _rel(x * c, name, scheme) == pytest.approx(want, rel=1e-6)
    assert want < 0.75  # a real result, not every weight flushed to zero (1.0)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(-300, 300),
    name=st.sampled_from(MX_ELEMENT_FORMATS),
)
def test_mx_is_exactly_invariant_to_power_of_two_scaling(seed: int, k: int, name: str) -> None:
    x = _rng(seed).standard_t(4, (3, 64)) * 0.02
    a = quantize_mx(x, name)
    b = quantize_mx(np.ldexp(x, k), name)
    np.testing.assert_array_equal(a.codes, b.codes)
    np.testing.assert_array_equal(np.ldexp(a.dequant, k), b.dequant)


def test_float32_weights_near_the_extremes_of_their_range() -> None:
    base = _rng(9).standard_t(4, (4, 128)).astype(np.float32)
    tiny = (base * np.float32(1e-40)).astype(np.float32)  # float32 subnormals
    huge = (base / np.abs(base).max() * np.float32(3e38)).astype(np.float32)
    for name, scheme in [("int4", None), ("fp4_e2m1", "mx"), ("bitmod_fp4", "bitmod")]:
        for w in (tiny, huge):
            rel = _rel(w.astype(np.float64), name, scheme)
            assert 0 < rel < 0.2, (name, rel)


def test_quantize_rejects_empty_arrays() -> None:
    for call in (quantize_groups, quantize_mx):
        with pytest.raises(HwgenError) as info:
            call(
                np.zeros((0, 128)),
                "fp8_e4m3",
                **({"group_size": 32} if call is quantize_groups else {}),
            )
        assert str(info.value) == "cannot quantize an empty array (shape (0, 128))"


def test_group_sizes_accept_numpy_integers() -> None:
    x = _rng(1).standard_normal((2, 64))
    a = quantize_groups(x, "int4", group_size=np.int64(16), axis=np.int32(-1))
    b = quantize_groups(x, "int4", group_size=16)
    np.testing.assert_array_equal(a.codes, b.codes)
    with pytest.raises(HwgenError, match=r"^group_size must be an integer, not True$"):
        quantize_groups(x, "int4", group_size=True)
