"""Stimulus generators: coverage, bounds and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from hwgen.errors import HwgenError
from hwgen.formats import get_format
from hwgen.golden import Multiplier, Overflow, accumulator_spec, extreme_products
from hwgen.sim.expect import Arithmetic, mac_expected
from hwgen.sim.stimulus import (
    exhaustive_pairs,
    extreme_accumulation,
    random_accumulation,
    random_gemm,
)

INT8 = get_format("int8")
E2M1 = get_format("fp4_e2m1")
E4M3 = get_format("fp8_e4m3")


@pytest.mark.parametrize(("a", "w", "lanes"), [(INT8, INT8, 64), (E2M1, INT8, 7), (E2M1, E2M1, 1)])
def test_exhaustive_pairs_cover_every_pair_once(a, w, lanes) -> None:
    s = exhaustive_pairs(a, w, lanes=lanes)
    pairs = (s.a << w.bits | s.w)[s.valid]
    assert np.array_equal(np.sort(pairs), np.arange(1 << (a.bits + w.bits)))
    assert s.clear.all()  # every pair is its own accumulation
    assert s.cycles == -(-(1 << (a.bits + w.bits)) // lanes)


def test_random_accumulation_segments_respect_max_terms() -> None:
    rng = np.random.default_rng(1)
    s = random_accumulation(E4M3, INT8, lanes=5, cycles=3000, max_terms=37, rng=rng)
    assert s.clear[:, 0].all()
    for lane in range(s.lanes):
        starts = np.flatnonzero(s.clear[lane])
        lengths = np.diff(np.append(starts, s.cycles))
        assert lengths.max() <= 37
        assert (lengths == 37).any()  # full-length sums are common
    assert 0.8 < s.valid.mean() < 0.97
    again = random_accumulation(
        E4M3, INT8, lanes=5, cycles=3000, max_terms=37, rng=np.random.default_rng(1)
    )
    assert np.array_equal(again.a, s.a) and np.array_equal(again.clear, s.clear)


def test_extreme_accumulation_reaches_the_sized_bound() -> None:
    max_terms = 16
    spec = accumulator_spec(E4M3, INT8, max_terms)
    arith = Arithmetic(
        a=E4M3, w=INT8, spec=spec, overflow=Overflow.EXACT, multiplier=Multiplier.EXACT,
        out=None, has_flags=True,
    )  # fmt: skip
    s = extreme_accumulation(E4M3, INT8, lanes=4, max_terms=max_terms)
    acc = mac_expected(arith, s).acc
    lo, hi = extreme_products(E4M3, INT8)
    # After max_terms copies of the largest / smallest product the sum is exactly at the
    # extreme an exact accumulator was sized for.
    peaks = acc[:, max_terms - 1]
    assert peaks.max() == hi * max_terms
    assert peaks.min() == lo * max_terms


def test_random_gemm_tiles() -> None:
    rng = np.random.default_rng(3)
    g = random_gemm(
        INT8, E2M1, rows=3, cols=2, lanes=2, macs=5000, max_terms=9, rng=rng, stress_macs=500
    )
    ends = np.flatnonzero(g.last)
    depths = np.diff(np.append(-1, ends))
    assert depths.max() <= 9 and (depths == 9).any()
    assert g.last[-1]
    assert g.macs >= 5000 + 500
    assert g.a.shape == (g.beats, 2, 3) and g.w.shape == (g.beats, 2, 2)
    assert g.gap[: g.stress_from].sum() == 0 and g.gap[g.stress_from :].sum() > 0
    assert not g.out_ready.all()


def test_generators_reject_bad_arguments() -> None:
    with pytest.raises(HwgenError, match=r"^lanes must be >= 1, not 0$"):
        exhaustive_pairs(INT8, INT8, lanes=0)
    rng = np.random.default_rng(0)
    with pytest.raises(HwgenError, match=r"^max_terms must be >= 1, not 0$"):
        random_accumulation(INT8, INT8, lanes=1, cycles=4, max_terms=0, rng=rng)
    with pytest.raises(HwgenError, match=r"^cycles must be >= 1, not 0$"):
        random_accumulation(INT8, INT8, lanes=1, cycles=0, max_terms=4, rng=rng)
    with pytest.raises(HwgenError, match=r"^macs must be >= 1, not 0$"):
        random_gemm(INT8, INT8, rows=1, cols=1, lanes=1, macs=0, max_terms=4, rng=rng)
