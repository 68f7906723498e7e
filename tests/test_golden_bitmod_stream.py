"""BitMoD weight-SRAM image: layout, round trip, bad input, float weights -> hardware GEMM."""

from __future__ import annotations

import math
import struct
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.errors import HwgenError
from hwgen.formats import get
from hwgen.golden.bitmod import WeightType
from hwgen.golden.bitmod.stream import (
    HEADER_BYTES,
    PackedWeights,
    gemm_from_floats,
    pack,
    quantize_weights,
    unpack,
)
from hwgen.quant import quantize_bitmod


def _random_packed(rng: np.random.Generator, n: int, ng: int, g: int) -> PackedWeights:
    wts = rng.integers(0, 6, (n, ng))
    codes = np.zeros((n, ng * g), dtype=np.int64)
    for r in range(n):
        for gi in range(ng):
            bits = WeightType.from_code(int(wts[r, gi])).bits
            codes[r, gi * g : (gi + 1) * g] = rng.integers(0, 1 << bits, g)
    return PackedWeights(
        codes=codes,
        wtypes=wts,
        selectors=rng.integers(0, 4, (n, ng)),
        scales=rng.integers(0, 256, (n, ng)),
        row_scales=rng.standard_normal(n),
        specials=(3, -3, 24, -16),
        group_size=g,
    )


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 4),
    ng=st.integers(1, 4),
    g=st.sampled_from([1, 3, 8, 16, 20]),
)
def test_round_trip(seed: int, n: int, ng: int, g: int) -> None:
    pw = _random_packed(np.random.default_rng(seed), n, ng, g)
    data = pack(pw)
    back = unpack(data)
    for name in ("codes", "wtypes", "selectors", "scales", "row_scales"):
        assert np.array_equal(getattr(back, name), getattr(pw, name)), name
    assert back.specials == pw.specials and back.group_size == g
    sizes = {w.code: 2 + -(-g * w.bits // 8) for w in WeightType}
    assert len(data) == HEADER_BYTES + 8 * n + sum(sizes[int(c)] for c in pw.wtypes.ravel())


def test_layout_bytes() -> None:
    """A hand-checked image: one row, an INT3 group then an FP4 group of 4 weights."""
    pw = PackedWeights(
        codes=np.array([[1, 2, 3, 7, 0x8, 0xF, 0x1, 0x9]]),
        wtypes=np.array([[WeightType.INT3.code, WeightType.FP4.code]]),
        selectors=np.array([[0, 2]]),
        scales=np.array([[255, 1]]),
        row_scales=np.array([0.5]),
        specials=(10, -10, 16, -16),
        group_size=4,
    )
    data = pack(pw)
    assert data[:HEADER_BYTES] == struct.pack("<4sHHII4b12x", b"HWBM", 1, 4, 1, 8, 10, -10, 16, -16)
    assert data[32:40] == struct.pack("<d", 0.5)
    # INT3 codes 1, 2, 3, 7 at bit offsets 0, 3, 6, 9: 0b111_011_010_001 = 0x0ED1.
    assert data[40:44] == bytes([255, 3, 0xD1, 0x0E])
    # FP4 codes 8, F, 1, 9 at nibbles: 0xF8, 0x91; info byte 4 | 2 << 3 = 0x14.
    assert data[44:48] == bytes([1, 0x14, 0xF8, 0x91])
    assert len(data) == 48


def test_unpack_rejects() -> None:
    pw = _random_packed(np.random.default_rng(0), 2, 2, 8)
    data = pack(pw)
    with pytest.raises(HwgenError, match="not a BitMoD SRAM image"):
        unpack(b"XXXX" + data[4:])
    with pytest.raises(HwgenError, match="truncated"):
        unpack(data[:-1])
    with pytest.raises(HwgenError, match="trailing bytes"):
        unpack(data + b"\0")
    bad = bytearray(data)
    bad[HEADER_BYTES + 16 + 1] = 6  # first group's datatype code
    with pytest.raises(HwgenError, match="datatype code 6 names no datatype"):
        unpack(bytes(bad))
    bad[HEADER_BYTES + 16 + 1] = 0x80
    with pytest.raises(HwgenError, match=r"reserved bits 5\.\.7 are not zero"):
        unpack(bytes(bad))
    with pytest.raises(HwgenError, match=r"scales must be unsigned INT8 codes in 0\.\.255"):
        PackedWeights(
            codes=pw.codes,
            wtypes=pw.wtypes,
            selectors=pw.selectors,
            scales=pw.scales.astype(int) + 256,
            row_scales=pw.row_scales,
            specials=pw.specials,
            group_size=8,
        )
    with pytest.raises(HwgenError, match=r"selectors must be in 0\.\.3"):
        PackedWeights(
            codes=pw.codes,
            wtypes=pw.wtypes,
            selectors=pw.selectors.astype(int) + 4,
            scales=pw.scales,
            row_scales=pw.row_scales,
            specials=pw.specials,
            group_size=8,
        )


@pytest.mark.parametrize("wtype", ["bitmod_fp4", "bitmod_fp3", "int8", "int6", "int4", "int3"])
def test_quantize_path_and_exact_gemm(wtype: str) -> None:
    rng = np.random.default_rng(7)
    w = rng.standard_t(4, size=(6, 64))
    pw = quantize_weights(w, wtype, group_size=32)
    if wtype.startswith("bitmod_"):
        q = quantize_bitmod(w, wtype, group_size=32, second_level_int8=True)
        assert np.array_equal(pw.codes, q.codes) and np.array_equal(pw.selectors, q.selector)
        np.testing.assert_allclose(pw.dequant(), q.dequant, rtol=1e-15, atol=0)
    else:
        err = np.abs(pw.dequant() - w).max() / np.abs(w).max()
        assert err < 2.0 ** -(WeightType(wtype).bits - 2)
    assert unpack(pack(pw)).dequant().tolist() == pw.dequant().tolist()
    cfg = BitmodPEConfig(group_size=32)
    fp16 = get("fp16")
    a = fp16.encode(rng.standard_normal((3, 64)).astype(np.float32))
    _, y = gemm_from_floats(cfg, a, pw)
    av = fp16.values()[a]
    wv = pw.weight_values()
    for i in range(3):
        for j in range(6):
            exact = sum(
                Fraction(float(av[i, k])) * int(wv[j, k]) * int(pw.scales[j, k // 32])
                for k in range(64)
            )
            # Exact group sum, rounded once, times the row scale: within 1 ulp.
            want = float(exact * Fraction(float(pw.row_scales[j])))
            assert abs(y[i, j] - want) <= math.ulp(want)
