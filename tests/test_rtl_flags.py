# amaranth: UnusedElaboratable=no
"""Special-value flags: per-product detection and the sticky register."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import clocked_eval, comb_eval
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.formats import get_format
from hwgen.golden import Flag, product_flags
from hwgen.golden.specials import settle
from hwgen.rtl.common.decoder import Decoder
from hwgen.rtl.common.flags import FLAG_BITS, FlagRegister, ProductFlags


def test_flag_bits_match_golden_and_manifest_layout() -> None:
    assert FLAG_BITS == {"nan": 0, "pinf": 1, "ninf": 2}
    for name, bit in FLAG_BITS.items():
        assert Flag[name.upper()] == 1 << bit


def _decoded(fmt_name: str, codes: np.ndarray) -> dict[str, list[int]]:
    dec = Decoder(fmt=get_format(fmt_name))
    outs = ["sig"] + (["is_nan", "is_inf", "neg"] if dec.specials else [])
    return comb_eval(dec, {"code": codes}, outs)


def _check_products(a_name: str, w_name: str, a: np.ndarray, w: np.ndarray) -> None:
    af, wf = get_format(a_name), get_format(w_name)
    pf = ProductFlags(a_fmt=af, w_fmt=wf)
    inputs: dict[str, object] = {}
    for role, name, codes in (("a", a_name, a), ("w", w_name, w)):
        for port, values in _decoded(name, codes).items():
            key = f"{role}_{port}".replace("is_", "")
            inputs[key] = values
    got = comb_eval(pf, inputs, ["flags"])["flags"]
    assert got == [int(x) for x in product_flags(af, a, wf, w)]


@pytest.mark.parametrize(
    ("a_name", "w_name"),
    [("fp8_e5m2", "fp4_e2m1"), ("int4", "fp8_e5m2"), ("fp8_e4m3", "flint4")],
)
def test_product_flags_exhaustive(a_name: str, w_name: str) -> None:
    af, wf = get_format(a_name), get_format(w_name)
    a, w = np.meshgrid(np.arange(1 << af.bits), np.arange(1 << wf.bits), indexing="ij")
    _check_products(a_name, w_name, a.ravel(), w.ravel())


def test_product_flags_e5m2_squared_specials() -> None:
    f = get_format("fp8_e5m2")
    interesting = np.array(
        [*f.nan_codes, *f.inf_codes, int(f.encode(0.0)), int(f.encode(-0.0)), 1, 0x3C, 0xBC]
    )
    a, w = np.meshgrid(interesting, interesting, indexing="ij")
    _check_products("fp8_e5m2", "fp8_e5m2", a.ravel(), w.ravel())


@settings(max_examples=20, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 7), st.booleans(), st.sampled_from([0, 0, 0, 1])),
        min_size=1,
        max_size=30,
    )
)
def test_flag_register_is_sticky_since_clear(steps) -> None:
    pflags = [p for p, _, _ in steps]
    valid = [int(v) for _, v, _ in steps]
    clear = [c for _, _, c in steps]
    got = clocked_eval(
        FlagRegister(), {"pflags": pflags, "valid": valid, "clear": clear}, ["flags"]
    )["flags"]
    state = np.uint8(0)
    want = []
    for p, v, c in steps:
        base = np.uint8(0) if c else state
        state = settle(np.array([base | (np.uint8(p) if v else np.uint8(0))], np.uint8))[0]
        want.append(int(state))
    assert got == want
