"""A design's GEMM: exactness, agreement with the golden GEMM, properties, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.accuracy import (
    ActivationQuant,
    ActScaling,
    FixedPointAccumulator,
    GemmDesign,
    WeightQuant,
    design_gemm,
    error_metrics,
    gemm_error,
)
from hwgen.accuracy.operands import quantize_activations, quantize_weights
from hwgen.errors import HwgenError
from hwgen.formats import get
from hwgen.golden import Multiplier, gemm


def _design(a="int8", w="int8", scaling=ActScaling.PER_TOKEN, **kw) -> GemmDesign:
    a_group = kw.pop("a_group", None)
    return GemmDesign(
        activations=ActivationQuant(format=a, scaling=scaling, group_size=a_group),
        weights=WeightQuant(
            format=w, scheme=kw.pop("scheme", None), group_size=kw.pop("group", None)
        ),
        **kw,
    )


def _rng_data(seed=0, m=8, k=256, n=16):
    rng = np.random.default_rng(seed)
    return rng.standard_t(3, size=(m, k)), rng.normal(0, 0.02, size=(k, n))


# ----------------------------------------------------------------------- exactness
def test_representable_data_has_zero_error() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(-127, 128, (6, 64)).astype(float)
    a[:, 0] = 127.0  # absmax 127 per token: scale 1
    w = rng.integers(-127, 128, (64, 5)).astype(float) * 0.5
    w[0] = 63.5  # absmax per channel 63.5: scale 0.5
    r = gemm_error(a, w, _design(group="channel"))
    assert r.rel_mse == 0.0 and r.sqnr_db == math.inf and r.max_abs_error == 0.0


def test_fp8_values_on_the_grid_have_zero_error() -> None:
    f = get("fp8_e4m3")
    vals = f.values()[f.finite_mask]
    rng = np.random.default_rng(2)
    a = rng.choice(vals, (4, 32))
    a[:, 0] = 448.0
    w = rng.choice(vals, (32, 3))
    w[0] = -448.0  # absmax of every weight group (32 = K): scale 1
    r = gemm_error(a, w, _design("fp8_e4m3", "fp8_e4m3", ActScaling.NONE, group=32))
    assert r.rel_mse == 0.0


def test_hand_computed_case() -> None:
    # int4 per token: absmax 7 -> scale 1; -3.5 rounds to -4 (ties to even). Weights exact.
    a = np.array([[7.0, -3.5, 0.0, 1.0]])
    w = np.array([[1.0], [2.0], [7.0], [-1.0]])
    y = design_gemm(a, w, _design("int4", "int4", group="channel"))
    assert y.tolist() == [[7 - 8 + 0 - 1]]
    r = gemm_error(a, w, _design("int4", "int4", group="channel"))
    assert r.rel_mse == 1.0 and r.sqnr_db == 0.0 and r.mse == 1.0 and r.outputs == 1


def test_all_zero_inputs() -> None:
    a, w = _rng_data()
    for aa, ww in ((np.zeros_like(a), w), (a, np.zeros_like(w))):
        r = gemm_error(aa, ww, _design("fp8_e4m3", "int4"))
        assert r.rel_mse == 0.0 and r.sqnr_db == math.inf and r.ref_mean_square == 0.0


def test_zero_reference_with_an_error_is_infinite() -> None:
    a = np.array([[1.0, 0.5]])
    w = np.array([[0.25], [-0.5]])  # A @ W = 0 exactly
    r = gemm_error(a, w, _design("int8", "int4", group="channel"))
    assert r.rel_mse == math.inf and r.sqnr_db == -math.inf and r.mse > 0


# ----------------------------------------------------------------------- vs golden / dequant
def test_per_tensor_design_equals_the_golden_gemm() -> None:
    a, w = _rng_data(3, m=5, k=64, n=7)
    d = _design("fp8_e4m3", "fp4_e2m1", ActScaling.PER_TENSOR, group="channel")
    qa, qw = quantize_activations(a, d.activations), quantize_weights(w, d.weights)
    ref = gemm("fp8_e4m3", qa.index, "fp4_e2m1", qw.index).to_float()
    want = ref * qa.scales[0, 0] * qw.scales[0][None, :]
    np.testing.assert_array_equal(design_gemm(a, w, d), want)


def test_lmul_design_equals_the_golden_lmul_gemm() -> None:
    a, w = _rng_data(4, m=4, k=48, n=6)
    d = _design("fp8_e4m3", "fp8_e5m2", ActScaling.PER_TENSOR, group="channel", multiplier="lmul")
    qa, qw = quantize_activations(a, d.activations), quantize_weights(w, d.weights)
    ref = gemm("fp8_e4m3", qa.index, "fp8_e5m2", qw.index, multiplier=Multiplier.LMUL)
    want = ref.to_float() * qa.scales[0, 0] * qw.scales[0][None, :]
    np.testing.assert_array_equal(design_gemm(a, w, d), want)
    exact = design_gemm(
        a, w, _design("fp8_e4m3", "fp8_e5m2", ActScaling.PER_TENSOR, group="channel")
    )
    assert not np.array_equal(exact, want)


DESIGNS = [
    ("int8", ActScaling.PER_TOKEN, None, "int4", None, None),
    ("fp8_e4m3", ActScaling.MX, 32, "fp4_e2m1", "mx", 32),
    ("int8", ActScaling.MX, 32, "int8", "mx", 32),
    ("fp16", ActScaling.NONE, None, "bitmod_fp3", None, 128),
    ("bf16", ActScaling.NONE, None, "int4", None, 64),
    ("fp8_e5m2", ActScaling.PER_GROUP, 64, "fp8_e5m2", None, 128),
    ("fp6_e2m3", ActScaling.PER_TENSOR, None, "flint4", None, "channel"),
]


@settings(max_examples=20, deadline=None)
@given(case=st.sampled_from(DESIGNS), seed=st.integers(0, 2**32 - 1))
def test_exact_design_equals_the_dequantized_product(case, seed) -> None:
    a_fmt, scaling, a_group, w_fmt, scheme, group = case
    d = _design(a_fmt, w_fmt, scaling, a_group=a_group, scheme=scheme, group=group)
    a, w = _rng_data(seed, m=3, k=256, n=5)
    qa, qw = quantize_activations(a, d.activations), quantize_weights(w, d.weights)
    # Both sides round only in float64: bound the difference by the size of the terms.
    scale = np.abs(qa.dequant) @ np.abs(qw.dequant)
    diff = np.abs(design_gemm(a, w, d) - qa.dequant @ qw.dequant)
    assert np.all(diff <= 1e-13 * scale)


# ----------------------------------------------------------------------- properties
@settings(max_examples=15, deadline=None)
@given(
    scaling=st.sampled_from(
        [ActScaling.PER_TOKEN, ActScaling.PER_TENSOR, ActScaling.PER_GROUP, ActScaling.MX]
    ),
    shift_a=st.integers(-20, 20),
    shift_w=st.integers(-20, 20),
    seed=st.integers(0, 2**32 - 1),
)
def test_power_of_two_scale_invariance(scaling, shift_a, shift_w, seed) -> None:
    # Scaling an operand by a power of two scales the scales, never the codes: the output
    # scales exactly and the error is unchanged.
    a, w = _rng_data(seed, m=4, k=128, n=6)
    a_group = 32 if scaling in (ActScaling.PER_GROUP, ActScaling.MX) else None
    d = _design("fp8_e4m3", "int4", scaling, a_group=a_group, group=64)
    base = design_gemm(a, w, d)
    scaled = design_gemm(np.ldexp(a, shift_a), np.ldexp(w, shift_w), d)
    np.testing.assert_array_equal(scaled, np.ldexp(base, shift_a + shift_w))
    assert gemm_error(np.ldexp(a, shift_a), w, d).rel_mse == gemm_error(a, w, d).rel_mse
    if scaling is not ActScaling.PER_TENSOR:  # each token has its own scales
        rows = np.arange(a.shape[0])[:, None] - 2
        got = design_gemm(np.ldexp(a, rows), w, d)
        np.testing.assert_array_equal(got, np.ldexp(base, rows))
    cols = np.arange(w.shape[1])[None, :] - 3  # each output channel has its own scales
    np.testing.assert_array_equal(design_gemm(a, np.ldexp(w, cols), d), np.ldexp(base, cols))


def test_unscaled_activations_are_not_scale_invariant() -> None:
    a, w = _rng_data(5)
    d = _design("fp8_e4m3", "int8", ActScaling.NONE)
    assert gemm_error(a * 1e4, w, d).rel_mse > 100 * gemm_error(a, w, d).rel_mse


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), operand=st.sampled_from(["a", "w"]))
def test_error_falls_with_int_width(seed, operand) -> None:
    a, w = _rng_data(seed, m=8, k=128, n=8)
    errs = []
    for bits in (3, 5, 8):
        fa, fw = (f"int{bits}", "int8") if operand == "a" else ("int8", f"int{bits}")
        errs.append(gemm_error(a, w, _design(fa, fw)).rel_mse)
    assert errs[0] > errs[1] > errs[2]


def test_narrow_accumulator_changes_the_result() -> None:
    a, w = _rng_data(6, m=8, k=512, n=8)
    exact = gemm_error(a, w, _design(group="channel"))
    wide = gemm_error(a, w, _design(group="channel", accumulator=FixedPointAccumulator(bits=32)))
    assert wide == exact
    wrap = gemm_error(a, w, _design(group="channel", accumulator=FixedPointAccumulator(bits=14)))
    sat = gemm_error(
        a,
        w,
        _design(group="channel", accumulator=FixedPointAccumulator(bits=14, overflow="saturate")),
    )
    assert wrap.rel_mse > sat.rel_mse > exact.rel_mse


def test_error_metrics_checks() -> None:
    with pytest.raises(
        HwgenError, match=r"^output shape \(2,\) does not match reference shape \(3,\)$"
    ):
        error_metrics(np.zeros(2), np.zeros(3))
    with pytest.raises(HwgenError, match=r"^cannot measure the error of an empty output$"):
        error_metrics(np.zeros(0), np.zeros(0))


# ----------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("a", "w", "message"),
    [
        (
            np.zeros((4, 768)),
            np.zeros((1024, 8)),
            "activations have K = 768 (A is (4, 768)) but weights have K = 1024"
            " (W is (1024, 8), K x N)",
        ),
        (np.zeros(8), np.zeros((8, 2)), "activations must be a 2-D matrix A[M, K], not shape (8,)"),
        (
            np.zeros((2, 8)),
            np.zeros((8, 2, 1)),
            "weights must be a 2-D matrix W[K, N], not shape (8, 2, 1)",
        ),
        (
            np.zeros((0, 8)),
            np.zeros((8, 2)),
            "empty GEMM: A is (0, 8), W is (8, 2); M, K and N must be >= 1",
        ),
        (
            np.full((2, 8), np.nan),
            np.zeros((8, 2)),
            "activations hold 16 NaN/inf value(s); only finite values are allowed",
        ),
        (np.array([["x"]]), np.zeros((1, 2)), "activations must hold real numbers, not dtype <U1"),
    ],
)
def test_bad_operands(a, w, message) -> None:
    with pytest.raises(HwgenError) as e:
        gemm_error(a, w, _design(group="channel"))
    assert str(e.value) == message


def test_groups_that_do_not_fit() -> None:
    a, w = np.ones((2, 96)), np.ones((96, 2))
    with pytest.raises(HwgenError, match=r"^weight group size 128 does not divide K = 96$"):
        gemm_error(a, w, _design())
    with pytest.raises(HwgenError, match=r"^activation group size 64 does not divide K = 96$"):
        gemm_error(a, w, _design(scaling="per-group", a_group=64, group="channel"))
    with pytest.raises(
        HwgenError,
        match=r"^activation groups of 48 and weight groups of 32 along K do not nest: one must"
        r" divide the other$",
    ):
        gemm_error(a, w, _design(scaling="per-group", a_group=48, group=32))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: ActivationQuant(format="int8", scaling="per-row"),
            "activation scaling must be one of none, per-tensor, per-token, per-group, mx,"
            " not 'per-row'",
        ),
        (
            lambda: ActivationQuant(format="bitmod_fp4"),
            "activation format bitmod_fp4 is a per-group mixture; mixtures are for weights only",
        ),
        (
            lambda: ActivationQuant(format="int4", scaling="mx"),
            "MX activations need an MX element format (fp8_e4m3, fp8_e5m2, fp6_e3m2, fp6_e2m3,"
            " fp4_e2m1, int8), not int4",
        ),
        (
            lambda: ActivationQuant(format="int8", group_size=32),
            "activation group_size applies to per-group and mx scaling, not per-token",
        ),
        (
            lambda: ActivationQuant(format="int8", scaling="per-group", group_size=0),
            "group_size must be >= 1, not 0",
        ),
        (
            lambda: WeightQuant(format="bitmod_fp4", scheme="absmax"),
            "weight format bitmod_fp4 with scheme absmax needs the bitmod scheme",
        ),
        (
            lambda: WeightQuant(format="int4", scheme="bitmod"),
            "weight format int4 with scheme bitmod needs a per-group mixture such as bitmod_fp4",
        ),
        (
            lambda: WeightQuant(format="int4", scheme="mx"),
            "MX weights need an MX element format (fp8_e4m3, fp8_e5m2, fp6_e3m2, fp6_e2m3,"
            " fp4_e2m1, int8), not int4",
        ),
        (
            lambda: WeightQuant(format="fp4_e2m1", scheme="mx", group_size="channel"),
            "per-channel weight scales need the absmax scheme, not mx",
        ),
        (
            lambda: WeightQuant(format="int4", group_size="row"),
            "weight group_size must be an integer, not 'row'",
        ),
        (
            lambda: WeightQuant(format="int4", second_level_int8=True),
            "second_level_int8 applies to the bitmod scheme only, not absmax",
        ),
        (lambda: WeightQuant(format="int44"), None),
        (
            lambda: _design("int8", "fp8_e4m3", multiplier="lmul"),
            "multiplier='lmul' needs float formats: activation format int8 is int",
        ),
        (
            lambda: _design("fp8_e4m3", "bitmod_fp4", multiplier="lmul"),
            "multiplier='lmul' needs float formats: weight format bitmod_fp4 is mixture",
        ),
        (lambda: _design(multiplier="fast"), "multiplier must be one of exact, lmul, not 'fast'"),
        (
            lambda: GemmDesign(activations="int8", weights=WeightQuant(format="int8")),
            "activations must be an ActivationQuant, not str",
        ),
    ],
)
def test_bad_configs(build, message) -> None:
    with pytest.raises(HwgenError) as e:
        build()
    if message is not None:
        assert str(e.value) == message
    assert "\n" not in str(e.value)


def test_wide_dynamic_range_is_reported() -> None:
    a = np.array([[2.0**-120, 2.0**120]])
    w = np.ones((2, 1))
    with pytest.raises(HwgenError, match=r"^activation values span \d+ bits in fixed point"):
        gemm_error(a, w, _design("bf16", "int4", ActScaling.NONE, group="channel"))


def test_labels() -> None:
    d = _design("fp8_e4m3", "int4", accumulator=FixedPointAccumulator(bits=20))
    assert d.label == "fp8_e4m3/per-token x int4/absmax-g128, acc20-wrap"
    d = _design("fp8_e4m3", "fp4_e2m1", "mx", scheme="mx", multiplier="lmul")
    assert d.label == "fp8_e4m3/mx-g32 x fp4_e2m1/mx-g32, lmul, exact"
