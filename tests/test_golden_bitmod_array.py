"""The BitMoD array golden model: the PE model over the grid, GEMM tiling, datatype mixing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import HwgenError
from hwgen.formats import get_format
from hwgen.golden.bitmod import (
    BitmodPEParams,
    WeightType,
    bitmod_gemm,
    gemm_from_floats,
    group_results,
    quantize_weights,
)
from hwgen.golden.bitmod.array import (
    ArrayGroups,
    array_group_results,
    mix_weights,
    tile_gemm,
    untile_results,
)

_CFG = BitmodPEParams(dot=2, group_size=16, mode="narrow")
_EXACT = BitmodPEParams(dot=2, group_size=16, mode="exact")


def _random_groups(rng: np.random.Generator, t: int, r: int, c: int) -> ArrayGroups:
    fp16 = get_format("fp16")
    dtype = rng.choice([w.code for w in WeightType], size=(t, c))
    w = np.stack(
        [[rng.integers(0, 1 << WeightType.from_code(int(x)).bits, size=16) for x in row]
         for row in dtype]
    )  # fmt: skip
    return ArrayGroups(
        a=fp16.encode(rng.standard_normal((t, r, 16))).astype(np.int64),
        w=w,
        dtype=dtype,
        sel=rng.integers(0, 4, size=(t, c)),
        scale=rng.integers(0, 256, size=(t, c)),
    )


@pytest.mark.parametrize("cfg", [_CFG, _EXACT], ids=["narrow", "exact"])
def test_every_pe_is_the_pe_model(cfg: BitmodPEParams) -> None:
    rng = np.random.default_rng(3)
    g = _random_groups(rng, 2, 2, 3)
    res = array_group_results(cfg, g, specials=(6, -6, 3, -3))
    assert res.man.shape == (2, 2, 3)
    for t in range(2):
        for i in range(2):
            for j in range(3):
                one = group_results(
                    cfg, g.a[t, i], g.w[t, j], g.dtype[t, j], g.sel[t, j], g.scale[t, j],
                    specials=(6, -6, 3, -3),
                )  # fmt: skip
                got = (res.man[t, i, j], res.exp[t, i, j], res.flags[t, i, j])
                assert got == (one.man, one.exp, one.flags), (t, i, j)


@settings(max_examples=8, deadline=None)
@given(
    m=st.integers(1, 4),
    n=st.integers(1, 4),
    ng=st.integers(1, 2),
    rows=st.integers(1, 3),
    cols=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_tiling_is_the_gemm(m: int, n: int, ng: int, rows: int, cols: int, seed: int) -> None:
    """Any array shape computes bitmod_gemm: tiles, padding and stream order drop out."""
    rng = np.random.default_rng(seed)
    k = 16 * ng
    w = rng.standard_t(3, size=(n, k)) * 0.02
    packs = {name: quantize_weights(w, name, group_size=16) for name in ("bitmod_fp4", "int6")}
    pw = mix_weights(packs, rng.integers(0, 2, size=(n, ng)))
    a = get_format("fp16").encode(rng.standard_normal((m, k))).astype(np.int64)
    groups = tile_gemm(a, pw, rows=rows, cols=cols)
    assert groups.dtype.shape == (-(-m // rows) * -(-n // cols) * ng, cols)
    res = untile_results(
        array_group_results(_CFG, groups, specials=pw.specials), m=m, n=n, groups_per_row=ng
    )
    ref = bitmod_gemm(_CFG, a, pw.codes, pw.wtypes, pw.selectors, pw.scales, specials=pw.specials)
    assert np.array_equal(res.man, ref.man) and np.array_equal(res.exp, ref.exp)
    assert np.array_equal(res.flags, ref.flags)


def test_mixed_weights_keep_their_group_types_and_error() -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_t(3, size=(8, 64)) * 0.02
    names = ("bitmod_fp4", "int8", "int4")
    packs = {name: quantize_weights(w, name, group_size=16) for name in names}
    choice = rng.integers(0, 3, size=(8, 4))
    pw = mix_weights(packs, choice)
    codes = np.array([WeightType(x.removeprefix("bitmod_")).code for x in names])
    assert np.array_equal(pw.wtypes, codes[choice])
    assert pw.specials == packs["bitmod_fp4"].specials
    # The mixture dequantizes close to each source quantization (scales re-rounded only).
    err = np.abs(pw.dequant() - w).mean() / np.abs(w).mean()
    worst = max(np.abs(p.dequant() - w).mean() for p in packs.values()) / np.abs(w).mean()
    assert err <= worst * 1.05
    # End to end: the array's per-group results sum to what gemm_from_floats reports.
    a = get_format("fp16").encode(rng.standard_normal((3, 64))).astype(np.int64)
    res = untile_results(
        array_group_results(_EXACT, tile_gemm(a, pw, rows=2, cols=3), specials=pw.specials),
        m=3,
        n=8,
        groups_per_row=4,
    )
    _, y = gemm_from_floats(_EXACT, a, pw)
    y_arr = np.ldexp(res.man.sum(axis=-1).astype(np.float64), res.lsb_exp) * pw.row_scales
    assert np.allclose(y_arr, y, rtol=1e-12, atol=0)
    ref = get_format("fp16").decode(a) @ pw.dequant().T  # the quantized tensor's GEMM
    assert np.allclose(y, ref, rtol=1e-9, atol=1e-12)


def test_mix_weights_bad_input() -> None:
    w = np.ones((2, 16))
    packs = {n: quantize_weights(w, n, group_size=16) for n in ("bitmod_fp4", "bitmod_fp3")}
    with pytest.raises(HwgenError, match=r"^one special-value register cannot serve both "):
        mix_weights(packs, np.array([[0], [1]]))
    with pytest.raises(
        HwgenError, match=r"^choice must be \(N, K / G\) = \(2, 1\) indices in 0\.\.1$"
    ):
        mix_weights(packs, np.array([[0], [2]]))


def test_array_groups_shapes_are_checked() -> None:
    z = np.zeros((2, 3, 16), dtype=np.int64)
    with pytest.raises(
        HwgenError, match=r"^sel must have shape \(T, C\) = \(2, 3\), not \(2, 2\)$"
    ):
        ArrayGroups(a=z, w=z, dtype=np.zeros((2, 3)), sel=np.zeros((2, 2)), scale=np.zeros((2, 3)))
