"""Exhaustive products on the BitMoD PE (slow suite): every weight code x selector x FP16 code.

1. The golden model (exact mode) against an exact integer reference of every product,
   written here from the datatype definitions (``docs/bitmod.md``: two's complement INT
   codes; FP codes = sign bit + magnitude index into BitMoD's tables, the ``-0`` code
   taking the selected special value) and the activation format's integer table, with
   none of the golden model's term encoding, exponent matching or shifting.
2. The RTL against the golden model on Verilator for the same streams (one build of a
   256-PE harness, shared by the six datatypes).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.emit import emit
from hwgen.formats import get_format
from hwgen.golden.bitmod import GroupFlag, WeightType, group_results
from hwgen.sim.exhaustive_bitmod import EXHAUSTIVE_LANES, exhaustive_pairs, exhaustive_parts
from hwgen.sim.verify import VerifyOptions, Waves, check

pytestmark = pytest.mark.slow

_CFG = BitmodPEConfig(dot=4, group_size=16, mode="exact")
# BitMoD's FP magnitudes in code units (docs/bitmod.md, "Weight terms").
_FP_MAG = {WeightType.FP4: (0, 1, 2, 3, 4, 6, 8, 12), WeightType.FP3: (0, 1, 2, 4)}


def _weight_ref(wt: WeightType, codes: np.ndarray, sel: np.ndarray) -> np.ndarray:
    half = 1 << (wt.bits - 1)
    if not wt.is_float:
        return np.where(codes >= half, codes - 2 * half, codes)
    mag = np.asarray(_FP_MAG[wt])[codes % half]
    val = np.where(codes >= half, -mag, mag)
    sv = np.asarray(_CFG.special_values)[sel]
    return np.where(codes == half, sv[:, None], val)


def _reference(wt: WeightType, w: np.ndarray, a: np.ndarray, sel: np.ndarray, scale: np.ndarray):
    fmt = get_format(_CFG.act_format)
    ints = np.asarray(fmt.int_values, dtype=np.int64)[a]
    nan = np.isin(a, sorted(fmt.nan_codes))
    inf = np.isin(a, sorted(fmt.inf_codes))
    a_neg = a >> (fmt.bits - 1) == 1
    wv = _weight_ref(wt, w, sel)
    man = np.where(nan | inf, 0, wv * ints).sum(axis=1) * scale
    inf_p = inf & (wv != 0)
    pos = (inf_p & (a_neg == (wv < 0))).any(axis=1)
    neg = (inf_p & (a_neg != (wv < 0))).any(axis=1)
    is_nan = (nan | (inf & (wv == 0))).any(axis=1) | (pos & neg)
    flags = is_nan * int(GroupFlag.NAN) + pos * int(GroupFlag.PINF) + neg * int(GroupFlag.NINF)
    return man, flags


@pytest.mark.parametrize("wt", list(WeightType), ids=str)
def test_golden_every_product_against_integer_reference(wt: WeightType) -> None:
    w, a, sel = exhaustive_pairs(_CFG, wt)
    n_sel = 4 if wt.is_float else 1
    assert w.size == (1 << wt.bits) * n_sel * (1 << 16)  # e.g. 256 x 65,536 for INT8
    scale = np.random.default_rng(1).integers(1, 256, size=sel.size)
    chunk = 1 << 15
    for lo in range(0, sel.size, chunk):
        s = slice(lo, lo + chunk)
        got = group_results(_CFG, a[s], w[s], wt.code, sel[s], scale[s])
        man, flags = _reference(wt, w[s], a[s], sel[s], scale[s])
        assert np.array_equal(np.asarray(got.man, dtype=np.int64), man), lo
        assert np.array_equal(got.flags, flags), lo


@pytest.fixture(scope="module")
def pe_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("exhaustive") / _CFG.name
    emit(_CFG, d)
    return d


@pytest.mark.sim
@pytest.mark.parametrize("wt", list(WeightType), ids=str)
def test_rtl_every_product_against_golden(pe_dir: Path, wt: WeightType) -> None:
    checks = 0
    loop_cpu_s = build_s = 0.0
    t0 = time.perf_counter()
    for part in exhaustive_parts(_CFG, wt, lanes=EXHAUSTIVE_LANES):
        r = check(pe_dir, part, VerifyOptions(waves=Waves.NEVER))
        assert r.passed, r.summary()
        checks += r.checks
        loop_cpu_s += r.loop_cpu_seconds
        build_s += r.build_seconds
    n_sel = 4 if wt.is_float else 1
    assert checks == (1 << wt.bits) * n_sel * (1 << 16)
    print(
        f"{wt}: {checks:,} products in {time.perf_counter() - t0:.0f} s "
        f"(harness build {build_s:.0f} s, clock loop {loop_cpu_s:.1f} CPU s)"
    )
