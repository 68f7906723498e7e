"""The per-segment delay estimate behind ``useful_stages`` (pure Python, fast)."""

from __future__ import annotations

import itertools

import pytest

from hwgen.design.mac import MAX_STAGES, MacConfig
from hwgen.design.stage_delay import DELAY_TOLERANCE, DELAY_UNIT

E4M3 = {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3"}

# Routed iCE40 HX8K, median of 3 seeds (README "Pipelining"): where fmax stops rising.
MEASURED = [
    ({"a_format": "int8", "w_format": "int8"}, 2),  # 85 / 114 / 130 / 130 MHz
    (E4M3, 2),  # 45 / 78 / 92 / 94
    ({**E4M3, "acc_format": "fp32"}, 1),  # 14.7 / 19.1 / 19.1
    ({"a_format": "fp4_e2m1", "w_format": "fp4_e2m1"}, 1),  # 76 / 138 / 138
]

CONFIGS = [
    {"a_format": "int4", "w_format": "int4"},
    {"a_format": "int8", "w_format": "int8"},
    {"a_format": "int8", "w_format": "int8", "acc_bits": 12, "overflow": "wrap", "acc_lsb": 0},
    {"a_format": "fp4_e2m1", "w_format": "fp4_e2m1"},
    {"a_format": "fp6_e3m2", "w_format": "fp6_e3m2"},
    E4M3,
    {**E4M3, "multiplier": "lmul"},
    {"a_format": "fp16", "w_format": "fp16", "acc_bits": 64, "overflow": "saturate"},
    {"a_format": "fp16", "w_format": "int8"},
    {**E4M3, "acc_format": "fp32"},
    {**E4M3, "acc_format": "bf16"},
    {"a_format": "fp16", "w_format": "fp16", "acc_format": "fp16", "acc_rounding": "unfused"},
    {"a_format": "fp16", "w_format": "int8", "acc_format": "fp16"},
    {"a_format": "bf16", "w_format": "bf16", "acc_format": "fp32", "acc_subnormals": "flush"},
]


@pytest.mark.parametrize(("kw", "useful"), MEASURED)
def test_useful_stages_match_the_routed_measurements(kw: dict, useful: int) -> None:
    assert MacConfig(**kw).useful_stages == useful


@pytest.mark.parametrize("kw", CONFIGS)
def test_critical_path_falls_with_stages_and_stops_at_useful(kw: dict) -> None:
    cfg = MacConfig(**kw)
    d, cuts = cfg.stage_delays, cfg.cut_points
    paths = d.critical_paths(cuts)
    assert len(paths) == len(cuts) + 1
    assert all(later <= earlier for earlier, later in itertools.pairwise(paths))
    assert min(paths) >= d.loop > 0  # nothing beats the loop
    u = cfg.useful_stages
    assert 0 <= u <= len(cuts)
    # Every stage up to `useful` pays more than the tolerance overall; the rest do not.
    assert paths[u] <= min(paths) * (1 + DELAY_TOLERANCE)
    if u:
        assert paths[u - 1] > min(paths) * (1 + DELAY_TOLERANCE)
    # The stage-0 path is the whole chain: every segment in series.
    assert paths[0] == pytest.approx(sum(s.delay for s in d.segments))


@pytest.mark.parametrize("stages", range(MAX_STAGES + 1))
def test_manifest_pipeline_states_the_estimate(stages: int) -> None:
    cfg = MacConfig(a_format="int8", w_format="int8", stages=stages)
    info = cfg.pipeline_info()
    est = info.pop("estimate")
    assert info == {
        "stages": stages, "cut_points": ["product", "partial"],
        "used": ["product", "partial"][:stages], "useful_stages": 2,
        "delay_stages": max(0, stages - 2),
    }  # fmt: skip
    assert est["unit"] == DELAY_UNIT and est["tolerance"] == DELAY_TOLERANCE
    assert est["loop_bound"] is True
    names = [s["segment"] for s in est["segments"]]
    # The partial-product split is in the chain only when its register is built.
    want = ["partial products", "product add"] if stages >= 2 else ["multiplier"]
    assert names == [*want, "aligner", "loop"]
    assert [s["cut_after"] for s in est["segments"]][-1] is None
    assert est["critical_path"] == [
        round(p, 2) for p in cfg.stage_delays.critical_paths(cfg.cut_points)
    ]


def test_fp4_aligner_is_free_and_fp32_accumulation_is_loop_bound_after_one_stage() -> None:
    """The two designs the structural count overstated: their second cut adds nothing."""
    fp4 = MacConfig(a_format="fp4_e2m1", w_format="fp4_e2m1").stage_delays
    assert [s.delay for s in fp4.segments if s.name == "aligner"] == [0.0]
    fp32 = MacConfig(**E4M3, acc_format="fp32")
    paths = fp32.stage_delays.critical_paths(fp32.cut_points)
    assert paths[1] == paths[2] == fp32.stage_delays.loop
