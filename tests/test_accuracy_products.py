"""Bilinear forms of the multipliers against the golden products, on every code pair."""

from __future__ import annotations

import numpy as np
import pytest

from hwgen.accuracy.products import bilinear, format_lsb_exp
from hwgen.formats import get
from hwgen.golden import Multiplier, lmul_product_ints, product_ints


def _bilinear_products(mult: Multiplier, a_name: str, w_name: str) -> np.ndarray:
    """Every code pair's product from the bilinear form, in golden units (Python ints)."""
    a, w = get(a_name), get(w_name)
    form = bilinear(mult, a, w)
    lsb = a.lsb_exp + w.lsb_exp
    na, nw = form.a.exp.size, form.w.exp.size
    out = np.zeros((na, nw), dtype=object)
    for i, j, c in form.pairs:
        x = form.a.terms[i].astype(object)[:, None]
        y = form.w.terms[j].astype(object)[None, :]
        out = out + c * x * y
    shift = form.a.exp[:, None] + form.w.exp[None, :] + form.shift - lsb
    assert shift.min() >= 0
    return out * (np.ones_like(out) * 2) ** shift.astype(object)


EXACT_PAIRS = [
    ("int4", "int4"),
    ("int8", "uint4"),
    ("fp8_e4m3", "int4"),
    ("fp8_e4m3", "fp8_e4m3"),
    ("fp8_e5m2", "fp8_e5m2"),
    ("fp4_e2m1", "fp6_e3m2"),
    ("fp6_e2m3", "flint4"),
    ("int8", "bitmod_fp4_ea_neg"),
    ("fp8_e4m3", "fp5_e2m2_nosub"),
]


@pytest.mark.parametrize(("a_name", "w_name"), EXACT_PAIRS)
def test_exact_form_equals_golden_products(a_name: str, w_name: str) -> None:
    a, w = get(a_name), get(w_name)
    codes_a = np.arange(1 << a.bits)[:, None]
    codes_w = np.arange(1 << w.bits)[None, :]
    golden = product_ints(a, codes_a, w, codes_w).ints.astype(object)
    assert np.array_equal(_bilinear_products(Multiplier.EXACT, a_name, w_name), golden)


@pytest.mark.parametrize(
    ("a_name", "w_name"),
    [
        ("fp8_e4m3", "fp8_e4m3"),
        ("fp8_e5m2", "fp8_e4m3"),
        ("fp4_e2m1", "fp8_e5m2"),
        ("fp6_e2m3", "fp6_e3m2"),
        ("fp8_e4m3", "fp3_e2m0"),
    ],
)
def test_lmul_form_equals_golden_lmul(a_name: str, w_name: str) -> None:
    a, w = get(a_name), get(w_name)
    codes_a = np.arange(1 << a.bits)[:, None]
    codes_w = np.arange(1 << w.bits)[None, :]
    golden = lmul_product_ints(a, codes_a, w, codes_w).ints.astype(object)
    assert np.array_equal(_bilinear_products(Multiplier.LMUL, a_name, w_name), golden)


def test_mixture_tables_hold_every_variant() -> None:
    mix = get("bitmod_fp4")
    a = get("int8")
    form = bilinear(Multiplier.EXACT, a, mix)
    size = 1 << mix.bits
    assert form.w.exp.size == size * len(mix.variants)
    for v, variant in enumerate(mix.variants):
        vals = (
            form.w.terms[0][v * size : (v + 1) * size]
            * 2.0 ** form.w.exp[v * size : (v + 1) * size]
        )
        np.testing.assert_array_equal(vals, variant.values())
    assert format_lsb_exp(mix) == min(v.lsb_exp for v in mix.variants)
