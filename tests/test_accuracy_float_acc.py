"""Float accumulators in the GEMM accuracy engine: golden model over outputs, bit for bit."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from float_reference import round_value
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.accuracy import (
    ActivationQuant,
    ExactAccumulator,
    FloatAccumulator,
    GemmDesign,
    WeightQuant,
    design_gemm,
    gemm_error,
)
from hwgen.accuracy.float_acc import round_values
from hwgen.accuracy.operands import quantize_activations, quantize_weights
from hwgen.design.array import ArrayConfig
from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.formats import get
from hwgen.golden.float_acc import FloatAccSpec

# (activation, weight, accumulator, rounding, subnormals): the study's pairs and corners
# (fn / none accumulator formats, flushed subnormals, a format without subnormals).
CASES = [
    ("fp8_e4m3", "int4", "bf16", "fused", "keep"),
    ("fp8_e4m3", "int4", "fp16", "unfused", "keep"),
    ("int8", "int8", "fp16", "fused", "flush"),
    ("fp8_e5m2", "fp8_e5m2", "fp16", "unfused", "flush"),
    ("fp8_e5m2", "fp8_e5m2", "fp16", "fused", "keep"),
    ("fp4_e2m1", "fp4_e2m1", "fp6_e3m2", "unfused", "keep"),
    ("fp6_e2m3", "fp6_e2m3", "fp8_e4m3", "fused", "keep"),
    ("fp8_e4m3", "fp4_e2m1", "fp8_e5m2_nosub", "fused", "keep"),
    ("int8", "int4", "fp32", "fused", "keep"),
]


def _design(a_fmt, w_fmt, acc, rounding="fused", subnormals="keep", *, stepper="values",
            group=32, scaling="per-token"):  # fmt: skip
    return GemmDesign(
        activations=ActivationQuant(format=a_fmt, scaling=scaling),
        weights=WeightQuant(format=w_fmt, group_size=group),
        accumulator=FloatAccumulator.of(acc, rounding, subnormals, stepper=stepper),
    )


def _reference(a, w, design):
    """Slow and independent: Fractions, one rounding per MAC step, k ascending per output."""
    spec = design.accumulator.spec
    fmt = spec.fmt
    qa = quantize_activations(a, design.activations)
    qw = quantize_weights(w, design.weights)
    av = get(design.activations.format).values()[qa.index]
    wv = get(design.weights.format).values()[qw.index]
    seg = min(qa.group, qw.group)
    m, k = av.shape
    n = wv.shape[1]
    out = np.zeros((m, n))
    for k0 in range(0, k, seg):
        part = np.zeros((m, n))
        for i in range(m):
            for j in range(n):
                acc: Fraction | float = 0.0
                for kk in range(k0, k0 + seg):
                    p = Fraction(float(av[i, kk])) * Fraction(float(wv[kk, j]))
                    if not spec.fused and p != 0:
                        p = round_value(fmt, spec.flush, p)
                    total = Fraction(acc) + Fraction(p) if not isinstance(p, str) else p
                    acc = round_value(fmt, spec.flush, total) if total != 0 else 0.0
                    assert not isinstance(acc, str) and abs(float(acc)) != float("inf")
                part[i, j] = float(acc)
        part *= qa.scales[:, k0 // qa.group][:, None]
        part *= qw.scales[k0 // qw.group, :][None, :]
        out += part
    return out


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c))
def test_matches_an_exact_fraction_reference(case):
    a_fmt, w_fmt, acc, rnd, sub = case
    rng = np.random.default_rng(7)
    a = rng.normal(size=(3, 64)) * 1e-3  # small sums: no format overflows
    w = rng.standard_t(3, size=(64, 2))
    # e5m2 activations are used as they come: scaled to its max (57344) every product would
    # overflow the fp16 accumulator.
    scaling = "none" if a_fmt == "fp8_e5m2" else "per-tensor"
    design = _design(a_fmt, w_fmt, acc, rnd, sub, scaling=scaling)
    np.testing.assert_array_equal(design_gemm(a, w, design), _reference(a, w, design))


@settings(max_examples=25, deadline=None)
@given(
    case=st.sampled_from(CASES),
    log_scale=st.integers(-30, 30),
    seed=st.integers(0, 2**16),
    scaling=st.sampled_from(["none", "per-token"]),
)
def test_value_stepper_equals_the_golden_stepper(case, log_scale, seed, scaling):
    """The float64 round-to-odd stepper gives the golden model's values, overflow included."""
    a_fmt, w_fmt, acc, rnd, sub = case
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(4, 64)) * 2.0**log_scale
    w = rng.standard_t(3, size=(64, 3))
    outs = []
    for stepper in ("values", "golden"):
        try:
            outs.append(design_gemm(a, w, _design(a_fmt, w_fmt, acc, rnd, sub, stepper=stepper,
                                                  scaling=scaling)))  # fmt: skip
        except HwgenError as exc:
            outs.append(str(exc))
    if isinstance(outs[0], str):
        assert outs[0] == outs[1] and "overflows" in outs[0]
    else:
        np.testing.assert_array_equal(outs[0], outs[1])


def test_round_values_is_the_format_rounding_at_ties_and_limits():
    """Every midpoint between neighbouring values of a format rounds to the even code."""
    for name in ("fp8_e4m3", "fp8_e5m2", "fp6_e3m2", "fp8_e5m2_nosub"):
        spec = FloatAccSpec(format=name)
        fmt = spec.fmt
        v = fmt.values()
        v = np.unique(v[np.isfinite(v)])
        mid = (v[:-1] + v[1:]) / 2
        got = round_values(spec, mid)
        want = fmt.decode(fmt.encode(mid))
        np.testing.assert_array_equal(got[np.isfinite(want)], want[np.isfinite(want)])


def test_array_output_is_the_mac_tile_trace():
    """An output-stationary array accumulates each output over k in the MAC's order."""
    mac = MacConfig(a_format="fp8_e4m3", w_format="int4", acc_format="bf16", max_terms=64)
    arr = ArrayConfig.from_dict({"rows": 2, "cols": 3, **mac.to_dict()})
    rng = np.random.default_rng(1)
    a, w = rng.normal(size=(2, 64)), rng.normal(size=(64, 3))
    design = GemmDesign(
        activations=ActivationQuant(format="fp8_e4m3", scaling="per-tensor"),
        weights=WeightQuant(format="int4", group_size="channel"),
        accumulator=FloatAccumulator(mac.float_acc),
    )
    qa = quantize_activations(a, design.activations)
    qw = quantize_weights(w, design.weights)
    last = np.zeros(64, dtype=bool)
    last[-1] = True
    codes, _ = arr.golden().tiles(qa.index.T[:, None, :], qw.index[:, None, :], last)
    tile = get("bf16").decode(codes[0, 0]) * qa.scales[:, :1] * qw.scales[:1, :]
    np.testing.assert_array_equal(design_gemm(a, w, design), tile)


@pytest.mark.parametrize("pair", [("fp8_e4m3", "int4"), ("int8", "int8"), ("fp6_e2m3", "fp6_e2m3")])
@pytest.mark.parametrize("seed", range(3))
def test_a_wider_accumulator_never_costs_accuracy(pair, seed):
    """Same data: exact <~ fp32 <~ fp16 / bf16 (within 1 % of the narrower's error)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_t(4, size=(16, 256))
    w = rng.standard_t(3, size=(256, 16))

    def err(acc):
        design = GemmDesign(
            activations=ActivationQuant(format=pair[0]),
            weights=WeightQuant(format=pair[1], group_size=128),
            accumulator=acc,
        )
        return gemm_error(a, w, design).rel_mse

    exact = err(ExactAccumulator())
    fp32 = err(FloatAccumulator.of("fp32"))
    assert exact <= fp32 * 1.01
    for narrow in ("bf16", "fp8_e5m2") if pair[0] == "fp6_e2m3" else ("bf16",):
        assert fp32 <= err(FloatAccumulator.of(narrow)) * 1.01
        assert fp32 <= err(FloatAccumulator.of(narrow, "unfused")) * 1.01


def test_overflow_is_one_clear_line():
    rng = np.random.default_rng(0)
    a, w = rng.normal(size=(4, 256)), rng.normal(size=(256, 4))
    design = _design("int8", "int8", "fp8_e4m3", group=256)
    with pytest.raises(HwgenError, match=r"^float accumulator fp8_e4m3 overflows: \d+ of 16"
                       r" outputs end as inf/NaN after k = 0\.\.\.255"):  # fmt: skip
        gemm_error(a, w, design)


def test_bad_stepper():
    with pytest.raises(HwgenError, match="stepper must be one of values, golden, not 'fast'"):
        FloatAccumulator(FloatAccSpec(format="fp32"), "fast")
