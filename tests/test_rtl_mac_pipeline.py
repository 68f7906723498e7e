# amaranth: UnusedElaboratable=no
"""Pipelined MACs: registers at the cut points, same results as unstaged, stated latency."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import clocked_eval, run_mac

from hwgen.design.mac import MAX_STAGES, MacConfig
from hwgen.emit import build_manifest


def _stimulus(cfg: MacConfig, n: int, seed: int) -> tuple[list[int], ...]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 << cfg.a.bits, n).tolist()
    w = rng.integers(0, 1 << cfg.w.bits, n).tolist()
    valid = (rng.random(n) < 0.85).astype(int).tolist()
    clear = (rng.random(n) < 0.1).astype(int).tolist()
    return a, w, valid, clear


@pytest.mark.parametrize(
    ("a", "w", "extra", "cuts"),
    [
        ("int8", "int8", {}, ("product", "partial")),
        ("fp8_e4m3", "fp8_e4m3", {}, ("product", "aligned")),
        ("fp4_e2m1", "fp4_e2m1", {}, ("product", "aligned")),
        (
            "fp16",
            "fp16",
            {"acc_bits": 64, "overflow": "saturate"},
            ("product", "aligned", "partial"),
        ),
        ("fp8_e4m3", "fp8_e4m3", {"multiplier": "lmul"}, ("product", "aligned")),
        ("fp8_e4m3", "fp8_e4m3", {"acc_format": "fp32"}, ("normalised", "input")),
    ],
)
def test_cut_points_and_manifest(a: str, w: str, extra: dict, cuts: tuple[str, ...]) -> None:
    cfg = MacConfig(a_format=a, w_format=w, stages=1, **extra)
    assert cfg.cut_points == cuts
    pipe = build_manifest(cfg).to_dict()["pipeline"]
    assert pipe.pop("estimate") == cfg.pipeline_info()["estimate"]
    assert pipe == {
        "stages": 1, "cut_points": list(cuts), "used": [cuts[0]],
        "useful_stages": cfg.useful_stages, "delay_stages": 0,
    }  # fmt: skip


STAGED = [
    ("int8", "int8", {}),
    ("fp8_e4m3", "fp8_e4m3", {}),
    ("fp4_e2m1", "fp4_e2m1", {}),
    ("fp16", "fp8_e4m3", {"acc_bits": 40, "overflow": "saturate", "acc_lsb": -20}),
    ("int8", "int8", {"acc_bits": 12, "overflow": "wrap", "acc_lsb": 0}),
]


@pytest.mark.parametrize(("a", "w", "extra"), STAGED)
def test_staged_equals_unstaged_with_stated_latency(a: str, w: str, extra: dict) -> None:
    base = MacConfig(a_format=a, w_format=w, **extra)
    stim = _stimulus(base, 48, seed=len(a) + len(w))
    want = run_mac(base, *stim)
    for stages in range(1, MAX_STAGES + 1):
        cfg = MacConfig(a_format=a, w_format=w, stages=stages, **extra)
        assert cfg.latency == 1 + stages
        got = run_mac(cfg, *stim)  # reads acc `latency` edges after each input
        assert got.acc == want.acc, stages
        assert got.flags == want.flags, stages


def test_nothing_arrives_before_the_latency() -> None:
    """A product shows exactly ``latency`` edges after it was sampled, not earlier."""
    for stages in range(MAX_STAGES + 1):
        cfg = MacConfig(a_format="int8", w_format="int8", stages=stages)
        n = cfg.latency + 2
        got = clocked_eval(
            cfg.create(),
            {
                "a": [5] + [0] * n,
                "w": [7] + [0] * n,
                "valid": [1] + [0] * n,
                "clear": [1] + [0] * n,
            },
            ["acc"],
        )["acc"]
        assert got[: cfg.latency - 1] == [0] * (cfg.latency - 1)
        assert got[cfg.latency - 1] == 35, (stages, got)
