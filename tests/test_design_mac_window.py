"""The accumulator window (``acc_lsb``): defaults, validation, warnings, golden model.

The golden model is checked against an independent reference: exact ``Fraction`` values
of the decoded operands, ``math.floor`` of each product in units of the window's LSB, and
a literal per-cycle wrap / saturate loop.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.design.array import ArrayConfig
from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError, HwgenWarning
from hwgen.formats import Format, get_format
from hwgen.golden import Overflow, accumulator_spec, window_truncate


def _config(**kw: object) -> MacConfig:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HwgenWarning)
        return MacConfig(**kw)  # type: ignore[arg-type]


def test_default_keeps_exact_lsb_when_one_product_fits() -> None:
    # int8 x int8 products need 16 bits: a 16-bit wrapping accumulator keeps the LSB 2^0.
    cfg = MacConfig(a_format="int8", w_format="int8", acc_bits=16, overflow="wrap")
    assert cfg.accumulator.lsb_exp == 0 and not cfg.windowed
    assert cfg.name == "mac_int8_x_int8_acc16_s0_wrap"
    assert "acc_lsb" not in cfg.to_dict()


def test_default_keeps_the_top_of_the_largest_product() -> None:
    # 12 bits < 16: the window's top is the largest product's, so 4 low bits go.
    cfg = MacConfig(a_format="int8", w_format="int8", acc_bits=12, overflow="saturate")
    assert cfg.accumulator.lsb_exp == 4 and cfg.windowed
    assert cfg.name == "mac_int8_x_int8_acc12_s0_lsb4_sat"
    info = cfg.accumulator_info()
    assert info.lsb_exp == 4 and info.rounding == "floor"
    # bf16 x int4 at 64 bits: the case that used to top out near 2^-70.
    bf = MacConfig(a_format="bf16", w_format="int4", acc_bits=64, overflow="saturate")
    p_top = accumulator_spec("bf16", "int4", 1)
    assert bf.accumulator.lsb_exp == p_top.lsb_exp + p_top.bits - 64


def test_explicit_lsb_and_normalisation() -> None:
    cfg = MacConfig(a_format="bf16", w_format="int4", acc_bits=64, overflow="saturate", acc_lsb=-40)
    assert cfg.accumulator.lsb_exp == -40
    assert cfg.name == "mac_bf16_x_int4_acc64_s0_lsbm40_sat"
    assert cfg.to_dict()["acc_lsb"] == -40
    assert MacConfig.from_dict(cfg.to_dict()) == cfg
    # The default, given explicitly, is the same design: same dict, same hash.
    plain = MacConfig(a_format="int8", w_format="int8", acc_bits=12, overflow="wrap")
    same = MacConfig(a_format="int8", w_format="int8", acc_bits=12, overflow="wrap", acc_lsb=4)
    assert same.acc_lsb is None and same.config_hash == plain.config_hash
    exact = MacConfig(a_format="int8", w_format="int8", acc_lsb=0)
    assert exact == MacConfig(a_format="int8", w_format="int8")


def test_exact_configs_keep_their_hash() -> None:
    """Configs that existed before the option keep their dict (hence hash and name)."""
    cfg = MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3")
    assert set(cfg.to_dict()) == {
        "a_format", "w_format", "max_terms", "acc_bits", "overflow", "stages",
        "multiplier", "out_format",
    }  # fmt: skip
    assert cfg.name == "mac_fp8_e4m3_x_fp8_e4m3_acc49_s0"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"acc_lsb": -1, "overflow": "wrap"},
            "acc_lsb=-1 is outside what max_terms=4096 int8 x int8 products produce: must be"
            " in 0..27 (2^0 is their finest bit, 2^27 the sign bit of their largest sum)",
        ),
        (
            {"acc_lsb": 28, "acc_bits": 8, "overflow": "saturate"},
            "acc_lsb=28 is outside what max_terms=4096 int8 x int8 products produce: must be"
            " in 0..27 (2^0 is their finest bit, 2^27 the sign bit of their largest sum)",
        ),
        (
            {"acc_lsb": 3},
            "acc_lsb=3 drops the product bits below 2^3 (the finest is 2^0);"
            " overflow='exact' keeps every bit: use overflow='wrap' or 'saturate'",
        ),
        ({"acc_lsb": 2.0, "overflow": "wrap"}, "acc_lsb must be an integer, not 2.0"),
        ({"acc_lsb": True, "overflow": "wrap"}, "acc_lsb must be an integer, not True"),
        (
            {"acc_lsb": 0, "acc_format": "fp32"},
            "acc_lsb=0 does not apply to a float accumulator (acc_format='fp32': its exponent"
            " places every sum); leave it unset",
        ),
    ],
)
def test_bad_values(kwargs: dict, message: str) -> None:
    with pytest.raises(HwgenError) as exc:
        MacConfig(a_format="int8", w_format="int8", **kwargs)
    assert str(exc.value) == message


def test_warns_when_no_product_reaches_the_window() -> None:
    with pytest.warns(HwgenWarning) as rec:
        MacConfig(a_format="int8", w_format="int8", acc_bits=8, overflow="wrap", acc_lsb=20)
    assert [str(r.message) for r in rec] == [
        "accumulator window 2^20.. holds no int8 x int8 product: every product is below its"
        " LSB (the largest is < 2^15) and adds 0, or -2^20 when negative (acc_lsb, floor"
        " truncation)"
    ]
    # Without subnormals the smallest product is 2^-12 = 64 LSBs of 2^-18: above a 4-bit top.
    with pytest.warns(HwgenWarning) as rec:
        MacConfig(
            a_format="fp8_e4m3_nosub", w_format="fp8_e4m3_nosub", acc_bits=4,
            overflow="saturate", acc_lsb=-17,
        )  # fmt: skip
    assert [str(r.message) for r in rec] == [
        "accumulator window of 4 bits x 2^-17 holds no fp8_e4m3_nosub x fp8_e4m3_nosub"
        " product: the smallest nonzero one (>= 2^-12) is above its largest value (< 2^-14):"
        " every nonzero product overflows (saturate)"
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", HwgenWarning)
        MacConfig(a_format="int8", w_format="int8", acc_bits=12, overflow="wrap")


def test_arrays_inherit_the_window() -> None:
    mac = MacConfig(a_format="fp8_e4m3", w_format="int8", acc_bits=20, overflow="saturate")
    arr = ArrayConfig(rows=2, cols=2, mac=mac)
    assert arr.facts().accumulator.lsb_exp == mac.accumulator.lsb_exp
    d = arr.to_dict() | {"acc_lsb": mac.accumulator.lsb_exp - 2}
    arr2 = ArrayConfig.from_dict(d)
    assert arr2.mac.accumulator.lsb_exp == mac.accumulator.lsb_exp - 2
    assert arr2.golden().spec == arr2.mac.accumulator


def test_window_truncate_is_floor() -> None:
    p = np.array([-9, -8, -1, 0, 1, 7, 8, 9], dtype=np.int64)
    assert window_truncate(p, 3).tolist() == [-2, -1, -1, 0, 0, 0, 1, 1]
    big = np.array([-(1 << 100) - 1, (1 << 100) + 5], dtype=object)
    assert window_truncate(big, 99).tolist() == [-3, 2]
    assert window_truncate(p, 70).tolist() == [-1, -1, -1, 0, 0, 0, 0, 0]


def _finite_codes(fmt: Format) -> np.ndarray:
    return np.flatnonzero(fmt.finite_mask)


def _reference(
    cfg: MacConfig, a: list[int], w: list[int], valid: list[bool], clear: list[bool]
) -> list[int]:
    """Literal loop: Fraction products, floor to the window's LSB, wrap or saturate."""
    spec = cfg.accumulator
    unit = Fraction(2) ** spec.lsb_exp
    av, wv = cfg.a.values(), cfg.w.values()
    lo, hi = spec.lo, spec.hi
    acc, out = 0, []
    for ca, cw, v, c in zip(a, w, valid, clear, strict=True):
        term = math.floor(Fraction(float(av[ca])) * Fraction(float(wv[cw])) / unit) if v else 0
        total = term + (0 if c else acc)
        if cfg.overflow is Overflow.WRAP:
            acc = (total - lo) % (1 << spec.bits) + lo
        else:
            acc = min(max(total, lo), hi)
        out.append(acc)
    return out


PAIRS = [
    ("int8", "int8"),
    ("fp8_e4m3", "fp8_e4m3"),
    ("fp8_e5m2", "int4"),
    ("fp4_e2m1", "fp4_e2m1"),
    ("bf16", "int4"),
    ("flint4", "fp6_e3m2"),
]


@settings(max_examples=60, deadline=None)
@given(
    pair=st.sampled_from(PAIRS),
    overflow=st.sampled_from(["wrap", "saturate"]),
    bits_frac=st.floats(0.05, 1.0),
    lsb_frac=st.floats(0.0, 1.0),
    data=st.data(),
)
def test_golden_matches_fraction_reference(pair, overflow, bits_frac, lsb_frac, data) -> None:
    a_name, w_name = pair
    exact = accumulator_spec(a_name, w_name, 4096)
    bits = min(256, max(2, round(exact.bits * bits_frac)))  # acc_bits is at most 256
    lsb = exact.lsb_exp + round((exact.bits - 1) * lsb_frac)
    cfg = _config(a_format=a_name, w_format=w_name, acc_bits=bits, overflow=overflow, acc_lsb=lsb)
    a_fmt, w_fmt = get_format(a_name), get_format(w_name)
    n = data.draw(st.integers(1, 40))
    fa, fw = _finite_codes(a_fmt), _finite_codes(w_fmt)
    a = [int(fa[data.draw(st.integers(0, fa.size - 1))]) for _ in range(n)]
    w = [int(fw[data.draw(st.integers(0, fw.size - 1))]) for _ in range(n)]
    valid = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    clear = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    acc, _ = cfg.golden().trace(
        np.array(a), np.array(w), np.array(valid, dtype=bool), np.array(clear, dtype=bool)
    )
    assert [int(x) for x in acc] == _reference(cfg, a, w, valid, clear)
