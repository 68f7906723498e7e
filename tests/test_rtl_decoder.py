# amaranth: UnusedElaboratable=no
"""Decoder: exhaustive over every code against the format objects."""

from __future__ import annotations

import numpy as np
import pytest
from amaranth.hdl import Shape
from helpers import comb_eval

from hwgen.errors import HwgenError
from hwgen.formats import get_format
from hwgen.rtl.common.decoder import Decoder, exp_width

FAST = [
    "int8",
    "uint8",
    "int4",
    "fp8_e4m3",
    "fp8_e5m2",
    "fp4_e2m1",
    "fp6_e2m3",
    "fp6_e3m2",
    "fp3_e2m0",
    "flint4",
    "bitmod_fp4_er_pos",
    "bitmod_fp3_ea_neg",
    "fp8_e4m3_nosub",
    "fp4_e2m1_ieee",
    "fp5_e2m2_fn",
]


def _decode_all(name: str) -> tuple[object, dict[str, list[int]], Decoder]:
    fmt = get_format(name)
    dec = Decoder(fmt=fmt, with_mag=True)
    outputs = ["sig", "mag"] + (["exp"] if dec.exp_width else [])
    if dec.specials:
        outputs += ["is_nan", "is_inf", "neg"]
    got = comb_eval(dec, {"code": range(1 << fmt.bits)}, outputs)
    return fmt, got, dec


def _check(name: str) -> None:
    fmt, got, dec = _decode_all(name)
    se = fmt.sig_exp
    sig = np.array(got["sig"])
    exp = np.array(got["exp"]) if dec.exp_width else np.zeros_like(sig)
    np.testing.assert_array_equal(sig, se.sig)
    np.testing.assert_array_equal(np.array(got["mag"]), np.abs(se.sig))
    np.testing.assert_array_equal(exp, se.exp)
    values = fmt.values()
    finite = fmt.finite_mask
    # The defining property: every finite code decodes to its value.
    rebuilt = np.ldexp(sig.astype(np.float64), (exp + fmt.lsb_exp).astype(np.int32))
    np.testing.assert_array_equal(rebuilt[finite], values[finite])
    if dec.specials:
        np.testing.assert_array_equal(np.array(got["is_nan"], bool), np.isnan(values))
        np.testing.assert_array_equal(np.array(got["is_inf"], bool), np.isinf(values))
        real = ~np.isnan(values)
        np.testing.assert_array_equal(np.array(got["neg"], bool)[real], np.signbit(values)[real])
    else:
        assert not (fmt.nan_codes or fmt.inf_codes)


@pytest.mark.parametrize("name", FAST)
def test_decoder_exhaustive(name: str) -> None:
    _check(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fp16", "bf16", "int16"])
def test_decoder_exhaustive_16_bit(name: str) -> None:
    _check(name)


def test_ports_follow_the_format() -> None:
    e4m3 = Decoder(fmt=get_format("fp8_e4m3"))
    members = e4m3.signature.members
    assert Shape.cast(members["code"].shape).width == 8
    assert Shape.cast(members["sig"].shape).width == get_format("fp8_e4m3").sig_exp.sig_width
    assert Shape.cast(members["exp"].shape).width == exp_width(get_format("fp8_e4m3"))
    assert {"is_nan", "is_inf", "neg"} <= set(members)
    int8 = Decoder(fmt=get_format("int8"))
    assert set(int8.signature.members) == {"code", "sig"}
    assert set(Decoder(fmt=get_format("int8"), with_mag=True).signature.members) == {
        "code",
        "sig",
        "mag",
    }
    assert not get_format("fp4_e2m1").has_specials


def test_rejects_non_format() -> None:
    with pytest.raises(HwgenError, match="fmt must be a Format, not str"):
        Decoder(fmt="int8")  # type: ignore[arg-type]
