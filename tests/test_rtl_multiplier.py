# amaranth: UnusedElaboratable=no
"""Exact and L-Mul multipliers against the golden model's products."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import comb_eval
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.formats import get_format
from hwgen.golden import lmul_product_ints, product_ints
from hwgen.rtl.common.multipliers import ExactMultiplier, LMulMultiplier


def _pairs(a_bits: int, w_bits: int) -> tuple[np.ndarray, np.ndarray]:
    a, w = np.meshgrid(np.arange(1 << a_bits), np.arange(1 << w_bits), indexing="ij")
    return a.ravel(), w.ravel()


def _exact(a_name: str, w_name: str, a: np.ndarray, w: np.ndarray) -> None:
    af, wf = get_format(a_name), get_format(w_name)
    mult = ExactMultiplier(a_fmt=af, w_fmt=wf)
    inputs = {"a_sig": af.sig_exp.sig[a], "w_sig": wf.sig_exp.sig[w]}
    if mult.a_exp_width:
        inputs["a_exp"] = af.sig_exp.exp[a]
    if mult.w_exp_width:
        inputs["w_exp"] = wf.sig_exp.exp[w]
    outputs = ["prod"] + (["shift"] if mult.shift_max else [])
    got = comb_eval(mult, inputs, outputs)
    shift = got["shift"] if mult.shift_max else [0] * len(a)
    hw = [p << (s + mult.shift_offset) for p, s in zip(got["prod"], shift, strict=True)]
    gold = product_ints(af, a, wf, w).ints
    assert hw == [int(x) for x in gold]
    assert all(mult.prod_range[0] <= p <= mult.prod_range[1] for p in got["prod"])


def _lmul(a_name: str, w_name: str, a: np.ndarray, w: np.ndarray) -> None:
    af, wf = get_format(a_name), get_format(w_name)
    mult = LMulMultiplier(a_fmt=af, w_fmt=wf)
    inputs = {
        "a_code": a,
        "w_code": w,
        "a_special": ~af.finite_mask[a],
        "w_special": ~wf.finite_mask[w],
    }
    if mult.a_exp_width:
        inputs["a_exp"] = af.sig_exp.exp[a]
    if mult.w_exp_width:
        inputs["w_exp"] = wf.sig_exp.exp[w]
    got = comb_eval(mult, inputs, ["prod", "shift"])
    hw = [p << (s + mult.shift_offset) for p, s in zip(got["prod"], got["shift"], strict=True)]
    gold = lmul_product_ints(af, a, wf, w).ints
    assert hw == [int(x) for x in gold]


@pytest.mark.parametrize(
    ("a_name", "w_name"),
    [
        ("fp4_e2m1", "fp4_e2m1"),
        ("int4", "fp4_e2m1"),
        ("fp6_e2m3", "fp3_e2m0"),
        ("flint4", "int4"),
        ("uint4", "bitmod_fp4_ea_neg"),
        ("fp4_e2m1_ieee", "fp6_e3m2"),
    ],
)
def test_exact_products_exhaustive(a_name: str, w_name: str) -> None:
    af, wf = get_format(a_name), get_format(w_name)
    _exact(a_name, w_name, *_pairs(af.bits, wf.bits))


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_exact_products_8_bit_sampled(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for a_name, w_name in (("fp8_e4m3", "fp8_e5m2"), ("int8", "fp8_e4m3")):
        a = rng.integers(0, 256, 200)
        w = rng.integers(0, 256, 200)
        _exact(a_name, w_name, a, w)


@pytest.mark.parametrize(
    ("a_name", "w_name"),
    [("fp4_e2m1", "fp4_e2m1"), ("fp6_e2m3", "fp4_e2m1"), ("fp4_e2m1_ieee", "fp3_e2m0")],
)
def test_lmul_products_exhaustive(a_name: str, w_name: str) -> None:
    af, wf = get_format(a_name), get_format(w_name)
    _lmul(a_name, w_name, *_pairs(af.bits, wf.bits))


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_lmul_products_8_bit_sampled(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for a_name, w_name in (("fp8_e4m3", "fp8_e4m3"), ("fp8_e5m2", "fp8_e4m3")):
        _lmul(a_name, w_name, rng.integers(0, 256, 200), rng.integers(0, 256, 200))


def test_product_width_is_tight() -> None:
    # e4m3 significands are within +-15, so every product fits 9 bits (not 5 + 5).
    mult = ExactMultiplier(a_fmt=get_format("fp8_e4m3"), w_fmt=get_format("fp8_e4m3"))
    assert mult.prod_range == (-225, 225)
    assert mult.prod_width == 9
    capped = ExactMultiplier(a_fmt=get_format("int8"), w_fmt=get_format("int8"), max_width=12)
    assert capped.prod_width == 12


def test_lmul_rejects_non_float() -> None:
    with pytest.raises(HwgenError, match="L-Mul needs float formats: a_format int8 is int"):
        LMulMultiplier(a_fmt=get_format("int8"), w_fmt=get_format("fp8_e4m3"))
