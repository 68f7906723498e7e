"""The BitMoD PE's verification stimulus: what its directed phases reach."""

from __future__ import annotations

import numpy as np
import pytest

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.golden.bitmod import group_results
from hwgen.sim.stimulus_bitmod import bitmod_stimulus


@pytest.mark.parametrize(
    "kw", [{}, {"act_format": "int8"}, {"act_format": "bf16", "mode": "narrow", "group_size": 32}]
)
def test_directed_phases_reach_the_largest_results_of_both_signs(kw: dict[str, object]) -> None:
    cfg = BitmodPEConfig(**kw)  # type: ignore[arg-type]
    stim, phases = bitmod_stimulus(cfg, lanes=2, random_groups=0, rng=np.random.default_rng(0))
    assert [n for n, _ in phases] == ["datatypes", "activations"]
    r = group_results(
        cfg, stim.a, stim.w, stim.dtype[:, None], stim.sel, stim.scale, specials=stim.specials
    )
    man = np.asarray(r.man, dtype=object)
    scaled = [int(m) << int(e) for m, e in zip(man.ravel(), np.asarray(r.exp).ravel(), strict=True)]
    # Exact: the largest |result| of the stream uses out_man's width but one bit (a
    # 255 x all-max group is within a factor 4 of the declared bound); both signs occur.
    # Narrow: the normalised mantissa is full width.
    top = max(abs(v) for v in scaled)
    assert min(scaled) < 0 < max(scaled)
    if cfg.mode == "exact":
        assert top.bit_length() >= cfg.out_man_bits - 3
    else:
        assert max(abs(int(m)) for m in man.ravel()).bit_length() == cfg.out_man_bits - 1
    # Every datatype has a group at scale 255 whose lanes carry one activation code each.
    for code in (wt.code for wt in cfg.weight_types):
        groups = np.flatnonzero(stim.dtype == code)
        assert any(
            (stim.scale[g] == 255).all() and (stim.a[g] == stim.a[g][:, :1]).all() for g in groups
        )
