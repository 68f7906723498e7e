"""Pipeline stages that pay: routed fmax does not fall as stages fill the cut points."""

from __future__ import annotations

import itertools

import pytest

from hwgen.costmodel.cost import CostOptions, estimate_cost
from hwgen.design.mac import MacConfig
from hwgen.emit import emit

SEED_NOISE = 0.10
"""Relative fmax spread between nextpnr seeds (measured up to +-10 %,
``shared/reference/cost-anchors.md``); the median of three is compared."""


@pytest.mark.slow
def test_fmax_non_decreasing_up_to_the_loop_limit(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path / "cache"))
    base = MacConfig(a_format="int8", w_format="int8")
    fmax = []
    for stages in range(base.useful_stages + 1):
        cfg = MacConfig(a_format="int8", w_format="int8", stages=stages)
        emit(cfg, tmp_path / cfg.name)
        cost = estimate_cost(tmp_path / cfg.name, CostOptions(target="ice40", dsp=False, pnr=True))
        fmax.append(cost.to_dict()["fmax_mhz"])
    for prev, cur in itertools.pairwise(fmax):
        assert cur >= prev * (1 - SEED_NOISE), fmax
    # Filling every cut point pays clearly more than the noise.
    assert fmax[-1] >= fmax[0] * (1 + 2 * SEED_NOISE), fmax
