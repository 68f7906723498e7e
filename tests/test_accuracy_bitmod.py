"""The narrow BitMoD PE's GEMM: the golden PE end to end, against a slow per-group model."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from hwgen.accuracy import ActivationQuant, BitmodNarrowGemm, GemmDesign, WeightQuant, gemm_error
from hwgen.accuracy.operands import quantize_activations
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.errors import HwgenError
from hwgen.golden.bitmod import quantize_weights
from hwgen.golden.bitmod.scalar import scalar_group

PE = BitmodPEConfig(mode="narrow", group_size=16)


@pytest.mark.parametrize("w_format", ["bitmod_fp4", "bitmod_fp3", "int6", "int3"])
def test_output_is_the_sum_of_scalar_group_results(w_format):
    rng = np.random.default_rng(5)
    a, w = rng.normal(size=(2, 48)), rng.standard_t(3, size=(48, 3)) * 0.05
    design = BitmodNarrowGemm(pe=PE, weight_format=w_format,
                              activations=ActivationQuant(format="fp16"))  # fmt: skip
    got = gemm_error(a, w, design)
    qa = quantize_activations(a, design.activations)
    pw = quantize_weights(w.T, w_format, group_size=16)
    want = np.zeros((2, 3))
    for i in range(2):
        for j in range(3):
            total = Fraction(0)
            for g in range(3):
                sl = slice(16 * g, 16 * g + 16)
                man, exp, flags = scalar_group(
                    PE, qa.index[i, sl], pw.codes[j, sl], int(pw.wtypes[j, g]),
                    int(pw.selectors[j, g]), int(pw.scales[j, g]), pw.specials,
                )  # fmt: skip
                assert flags == 0
                total += Fraction(man) * Fraction(2) ** (exp + PE.out_lsb_exp)
            want[i, j] = float(total) * pw.row_scales[j] * qa.scales[i, 0]
    y = design.output(a, w)
    np.testing.assert_array_equal(y, want)
    assert got.rel_mse > 0 and np.isfinite(got.sqnr_db)


def test_truncation_costs_accuracy_and_nearest_rounding_recovers_it():
    rng = np.random.default_rng(0)
    a, w = rng.normal(size=(8, 256)), rng.normal(size=(256, 16)) * 0.02
    act = ActivationQuant(format="fp16")
    exact = gemm_error(a, w, GemmDesign(activations=act, weights=WeightQuant(format="int8")))
    floor = gemm_error(a, w, BitmodNarrowGemm(pe=BitmodPEConfig(mode="narrow"),
                                              weight_format="int8", activations=act))  # fmt: skip
    near = gemm_error(a, w, BitmodNarrowGemm(
        pe=BitmodPEConfig(mode="narrow", acc_rounding="nearest"), weight_format="int8",
        activations=act))  # fmt: skip
    assert floor.rel_mse > 1.1 * exact.rel_mse
    assert near.rel_mse < floor.rel_mse


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pe": BitmodPEConfig()}, "BitmodNarrowGemm models the narrow mode"),
        ({"weight_format": "fp4_e2m1"}, "BitMoD PE weight format must be one of bitmod_fp4,"),
        ({"activations": ActivationQuant(format="bf16")},
         "activation format bf16 is not the PE's act_format fp16"),
        ({"activations": ActivationQuant(format="fp16", scaling="per-group")},
         "a BitMoD PE's activation scale must be constant along K (none, per-tensor,"
         " per-token), not per-group"),
    ],
)  # fmt: skip
def test_bad_designs(kwargs, message):
    args = {"pe": PE, "weight_format": "bitmod_fp4",
            "activations": ActivationQuant(format="fp16"), **kwargs}  # fmt: skip
    with pytest.raises(HwgenError) as exc:
        BitmodNarrowGemm(**args)
    assert str(exc.value).startswith(message)
