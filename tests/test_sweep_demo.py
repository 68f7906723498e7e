"""The demo job's pieces: design-pair parsing and the Pareto front."""

from __future__ import annotations

import numpy as np
import pytest

from hwgen.errors import HwgenError, UnknownFormatError
from hwgen.sweep.demo import pareto_mask, parse_pairs


def test_parse_pairs():
    assert parse_pairs("int8:int8, fp8_e4m3 : fp4_e2m1") == [
        ("int8", "int8"),
        ("fp8_e4m3", "fp4_e2m1"),
    ]


@pytest.mark.parametrize("text", ["int8", "int8:", ":int8", "int8:int8:int8", ""])
def test_parse_pairs_rejects_malformed(text):
    with pytest.raises(HwgenError, match="is not ACT:WEIGHT"):
        parse_pairs(text)


def test_parse_pairs_rejects_mixtures_and_unknown_names():
    with pytest.raises(UnknownFormatError, match="per-group mixture"):
        parse_pairs("int8:bitmod_fp4")
    with pytest.raises(UnknownFormatError, match="unknown format 'int8x'"):
        parse_pairs("int8x:int8")


def test_pareto_mask_keeps_only_undominated_points():
    cost = [10, 20, 15, 30, 20]
    quality = [1.0, 3.0, 1.0, 2.0, 3.0]
    # (15, 1) is dominated by (10, 1); (30, 2) by (20, 3); equal points keep each other.
    assert list(pareto_mask(cost, quality)) == [True, True, False, False, True]


def test_pareto_mask_matches_brute_force():
    rng = np.random.default_rng(0)
    cost, quality = rng.integers(0, 20, 200), rng.integers(0, 20, 200)
    expected = [
        not any(
            c2 <= c and q2 >= q and (c2 < c or q2 > q) for c2, q2 in zip(cost, quality, strict=True)
        )
        for c, q in zip(cost, quality, strict=True)
    ]
    assert list(pareto_mask(cost, quality)) == expected
