"""Format names round-trip: ``get(f.name) == f`` for every name ``get`` accepts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen import formats
from hwgen.errors import HwgenError, UnknownFormatError
from hwgen.formats import IntFormat, MinifloatFormat, SpecialPolicy, TableFormat

POLICY_SUFFIXES = ["", "_ieee", "_fn", "_none"]


@st.composite
def fp_spellings(draw: st.DrawFn) -> str:
    e = draw(st.integers(1, 12))
    m = draw(st.integers(0, 15 - e))
    name = f"fp{1 + e + m}_e{e}m{m}"
    if draw(st.booleans()):
        bias = draw(st.integers(-40, 1100))
        name += f"_bm{-bias}" if bias < 0 else f"_b{bias}"
    if draw(st.booleans()):
        name += "_nosub"
    name += draw(st.sampled_from(POLICY_SUFFIXES))
    return draw(st.sampled_from([name, name.upper(), f"  {name} "]))


@st.composite
def int_spellings(draw: st.DrawFn) -> str:
    bits = draw(st.integers(2, 16))
    kind = draw(st.sampled_from(["int", "uint"]))
    narrow = draw(st.sampled_from(["", "_narrow"]))
    return draw(st.sampled_from([f"{kind}{bits}{narrow}", f"{kind.upper()}{bits}{narrow}"]))


def _resolve(name: str):
    try:
        return formats.get(name)
    except HwgenError:
        return None  # a spelling of an impossible layout (too wide, bias out of range, ...)


@settings(max_examples=400, deadline=None)
@given(name=st.one_of(fp_spellings(), int_spellings(), st.sampled_from(formats.names())))
def test_every_accepted_name_round_trips(name: str) -> None:
    fmt = _resolve(name)
    if fmt is None:
        return
    assert formats.get(fmt.name) == fmt
    assert formats.get(fmt.name) is formats.get(name)  # every spelling: the canonical object


@settings(max_examples=300, deadline=None)
@given(a=fp_spellings(), b=fp_spellings())
def test_different_formats_never_share_a_name(a: str, b: str) -> None:
    fa, fb = _resolve(a), _resolve(b)
    if fa is None or fb is None:
        return
    layout = ("exp_bits", "man_bits", "bias", "subnormals", "specials")
    same_layout = all(getattr(fa, k) == getattr(fb, k) for k in layout)
    assert (fa.name == fb.name) == same_layout
    assert (fa == fb) == same_layout


@settings(max_examples=300, deadline=None)
@given(
    e=st.integers(1, 11),
    m=st.integers(0, 4),
    bias=st.one_of(st.none(), st.integers(-30, 60)),
    sub=st.booleans(),
    policy=st.sampled_from(list(SpecialPolicy)),
)
def test_constructed_minifloats_get_the_name_that_resolves_to_them(e, m, bias, sub, policy):
    try:
        fmt = MinifloatFormat(exp_bits=e, man_bits=m, bias=bias, subnormals=sub, specials=policy)
    except HwgenError:
        return
    assert formats.get(fmt.name) == fmt
    assert np.array_equal(formats.get(fmt.name).values(), fmt.values(), equal_nan=True)


def test_every_fixed_format_has_a_distinct_canonical_name() -> None:
    objs = [formats.get(n) for n in formats.names()]
    assert [f.name for f in objs] == formats.names()
    assert len({f.name for f in objs}) == len(objs)


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("fp8_e4m3_fn", "fp8_e4m3"),
        ("fp8_e4m3_b7", "fp8_e4m3"),
        ("FP8_E4M3", "fp8_e4m3"),
        (" fp8_e5m2_ieee ", "fp8_e5m2"),
        ("fp6_e3m2_none", "fp6_e3m2"),
        ("fp4_e2m1_b1", "fp4_e2m1"),
        ("fp16_e5m10", "fp16"),
        ("fp16_e5m10_b15_ieee", "fp16"),
        ("fp16_e8m7", "bf16"),
        ("fp8_e4m3_bm0", "fp8_e4m3_b0"),
        ("fp08_e4m3_b007", "fp8_e4m3"),
        ("int8", "int8"),
        ("INT4_NARROW", "int4_narrow"),
    ],
)
def test_aliases_return_the_canonical_object(alias: str, canonical: str) -> None:
    assert formats.get(alias) is formats.get(canonical)
    assert formats.get(alias).name == canonical


def test_ieee_e4m3_is_not_the_ocp_format() -> None:
    ieee = formats.get("fp8_e4m3_ieee")
    assert ieee.name == "fp8_e4m3_ieee"
    assert ieee.max_value == 240.0 and len(ieee.inf_codes) == 2
    assert formats.get(ieee.name) is ieee
    ocp = formats.get("fp8_e4m3")
    assert ocp.max_value == 448.0 and ocp.specials is SpecialPolicy.FN
    assert MinifloatFormat(exp_bits=4, man_bits=3).name == "fp8_e4m3_ieee"
    assert MinifloatFormat(exp_bits=4, man_bits=3, specials="fn") == ocp
    assert MinifloatFormat(exp_bits=5, man_bits=10) == formats.get("fp16")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: MinifloatFormat(exp_bits=4, man_bits=3, name="fp8_e4m3"),
            "name 'fp8_e4m3' does not describe this layout; its name is 'fp8_e4m3_ieee'"
            " (leave name empty to derive it)",
        ),
        (
            lambda: IntFormat(bits=4, name="int8"),
            "name 'int8' does not describe this format; its name is 'int4'"
            " (leave name empty to derive it)",
        ),
        (
            lambda: TableFormat(name="int4", table=(0.0, 1.0)),
            "table format name 'int4' is a registry name of another format",
        ),
        (
            lambda: TableFormat(name="fp4_e2m2", table=(0.0, 1.0)),
            "table format name 'fp4_e2m2' is a registry name of another format",
        ),
        (
            lambda: TableFormat(name="flint4", table=(0.0, 1.0)),
            "name 'flint4' belongs to a registry format with other values",
        ),
        (
            lambda: TableFormat(name="My Table", table=(0.0, 1.0)),
            "table format name must be a lowercase identifier ([a-z][a-z0-9_]*), not 'My Table'",
        ),
    ],
)
def test_names_that_would_lie_are_rejected(call, message: str) -> None:
    with pytest.raises(HwgenError) as info:
        call()
    assert str(info.value) == message


# ---------------------------------------------------------------- float64 range
@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "fp16_e15m0",
            "format 'fp16_e15m0': exp_bits 15 with man_bits 0 spans 32766 binades of values,"
            " more than float64's 2098; use at most 11 exponent bits",
        ),
        (
            "fp16_e11m4_b2000",
            "format 'fp16_e11m4_b2000': bias 2000 puts values outside float64's range; with"
            " exp_bits 11 and man_bits 4 the bias must be in 1023..1071",
        ),
        (
            "fp8_e4m3_bm1020",
            "format 'fp8_e4m3_bm1020': bias -1020 puts values outside float64's range; with"
            " exp_bits 4 and man_bits 3 the bias must be in -1008..1072",
        ),
    ],
)
def test_formats_beyond_float64_are_rejected(name: str, message: str) -> None:
    with pytest.raises(UnknownFormatError) as info:
        formats.get(name)
    assert str(info.value) == message


@settings(max_examples=200, deadline=None)
@given(name=fp_spellings())
def test_accepted_formats_have_finite_exact_values(name: str) -> None:
    fmt = _resolve(name)
    if fmt is None:
        return
    vals = fmt.values()
    finite = vals[fmt.finite_mask]
    assert np.all(np.isfinite(finite))
    # Every non-zero magnitude code has a non-zero value (nothing underflowed).
    codes = np.flatnonzero(fmt.finite_mask)
    magnitude = codes & ((1 << (fmt.bits - 1)) - 1)
    zero_field = (codes >> fmt.man_bits & ((1 << fmt.exp_bits) - 1)) == 0
    must_be_nonzero = (magnitude != 0) & (fmt.subnormals | ~zero_field)
    assert np.all(finite[must_be_nonzero] != 0)


# ---------------------------------------------------------------- parameter types
def test_numpy_integers_are_accepted_and_normalised() -> None:
    f = MinifloatFormat(exp_bits=np.int64(4), man_bits=np.int32(3), bias=np.int8(7))
    assert f == MinifloatFormat(exp_bits=4, man_bits=3, bias=7)
    assert type(f.exp_bits) is int and type(f.bias) is int
    assert IntFormat(bits=np.uint8(8)) == formats.get("int8")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: MinifloatFormat(exp_bits=True, man_bits=3),
            "exp_bits must be an integer, not True",
        ),
        (lambda: MinifloatFormat(exp_bits=4, man_bits=3.0), "man_bits must be an integer, not 3.0"),
        (
            lambda: MinifloatFormat(exp_bits=4, man_bits=3, bias=np.float64(7)),
            "bias must be an integer, not np.float64(7.0)",
        ),
        (
            lambda: MinifloatFormat(exp_bits=4, man_bits=3, subnormals=1),
            "subnormals must be True or False, not 1",
        ),
        (lambda: IntFormat(bits=np.True_), "bits must be an integer, not np.True_"),
        (lambda: IntFormat(bits=8, signed="yes"), "signed must be True or False, not 'yes'"),
    ],
)
def test_bad_parameter_types(call, message: str) -> None:
    with pytest.raises(HwgenError) as info:
        call()
    assert str(info.value) == message


# ---------------------------------------------------------------- encode input types
ENCODE_FORMATS = ["int4", "fp4_e2m1", "fp8_e4m3", "flint4", "fp16"]


@pytest.mark.parametrize("name", ENCODE_FORMATS)
@pytest.mark.parametrize(
    ("value", "described"),
    [
        (np.array([1 + 2j]), "complex values (complex128)"),
        (1.5 + 0j, "complex values (complex128)"),
        ("abc", "strings"),
        (["1.0", "2"], "strings"),
        (b"ab", "byte strings"),
        (np.array([object()]), "Python objects"),
        ([10**30], "Python objects"),
        (np.array([True, False]), "bools"),
    ],
)
def test_encode_rejects_non_real_input(name: str, value, described: str) -> None:
    fmt = formats.get(name)
    for method in (fmt.encode, fmt.nearest):
        with pytest.raises(HwgenError) as info:
            method(value)
        assert str(info.value) == (
            f"{name}.encode needs real numbers (integer or floating), not {described}"
        )


def test_encode_rejects_longdouble_and_ragged_input() -> None:
    fmt = formats.get("fp4_e2m1")
    if np.dtype(np.longdouble).itemsize > 8:
        with pytest.raises(HwgenError, match="it would be rounded twice"):
            fmt.encode(np.array([1.0], np.longdouble))
    with pytest.raises(HwgenError, match=r"^fp4_e2m1\.encode needs real numbers"):
        fmt.encode([[1.0], [1.0, 2.0]])


@pytest.mark.parametrize("name", ENCODE_FORMATS)
def test_encode_accepts_numpy_and_python_numbers(name: str) -> None:
    import ml_dtypes

    fmt = formats.get(name)
    want = fmt.encode(np.array([2.0, -1.0]))
    for value in ([2, -1], np.array([2, -1], np.int64), [np.int64(2), np.int8(-1)]):
        np.testing.assert_array_equal(fmt.encode(value), want)
    np.testing.assert_array_equal(fmt.encode(np.array([2.0, -1.0], ml_dtypes.bfloat16)), want)
    assert fmt.encode(np.int64(2)) == want[0]
    np.testing.assert_array_equal(fmt.nearest([2.0, -1.0]), fmt.decode(want))
