"""The stage-delay estimate against routed timing: stages pay up to ``useful_stages``.

For each MAC the routed iCE40 HX8K fmax (nextpnr, median of seeds 1-3, no DSPs: the
flow of ``bench/bench_pipeline.py``) is measured at ``0 .. useful_stages + 1`` stages
(float accumulators take at most ``len(cut_points)``): every stage up to
``useful_stages`` must raise it by more than :data:`GAIN`, the next one by less.
Yosys' pre-route ``sta`` is not the reference here: without routing delay it misses the
INT8 partial-product cut and counts FP4's aligner (README, "Pipelining").
"""

from __future__ import annotations

import pytest

from hwgen.costmodel.cost import CostOptions, estimate_cost
from hwgen.design.mac import MAX_STAGES, MacConfig
from hwgen.emit import emit

GAIN = 0.05
"""A stage pays when the median routed fmax rises by more than this fraction (seed-to-seed
spread of the median of three is ~2-3 % on these designs, README)."""

DESIGNS = {
    "int4": {"a_format": "int4", "w_format": "int4"},
    "int8": {"a_format": "int8", "w_format": "int8"},
    "fp4": {"a_format": "fp4_e2m1", "w_format": "fp4_e2m1"},
    "fp6": {"a_format": "fp6_e3m2", "w_format": "fp6_e3m2"},
    "e4m3": {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3"},
    "e4m3_fp32": {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3", "acc_format": "fp32"},
    "fp16_fp16_unfused": {
        "a_format": "fp16",
        "w_format": "fp16",
        "acc_format": "fp16",
        "acc_rounding": "unfused",
    },
    "e4m3_bf16": {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3", "acc_format": "bf16"},
}


def stage_counts(cfg: MacConfig) -> range:
    """``0 .. useful_stages + 1`` as far as the design takes stages."""
    top = MAX_STAGES if cfg.float_acc is None else len(cfg.cut_points)
    return range(min(cfg.useful_stages + 1, top) + 1)


SLOW = ("int4", "fp4", "e4m3_fp32")
"""Designs checked by ``make test-slow`` (one integer, one minifloat, one float-accumulator
MAC: about 10 routed runs in all); the rest run with ``make test-heavy``."""


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow if n in SLOW else pytest.mark.heavy) for n in DESIGNS],
)
def test_routed_fmax_rises_until_useful_stages_then_stops(name, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path / "cache"))
    base = MacConfig(**DESIGNS[name])
    fmax = []
    for stages in stage_counts(base):
        cfg = MacConfig(stages=stages, **DESIGNS[name])
        emit(cfg, tmp_path / cfg.name)
        opts = CostOptions(target="ice40", dsp=False, pnr=True)
        fmax.append(estimate_cost(tmp_path / cfg.name, opts).to_dict()["fmax_mhz"])
    useful = base.useful_stages
    for s in range(1, len(fmax)):
        gain = fmax[s] / fmax[s - 1] - 1
        if s <= useful:
            assert gain > GAIN, (name, s, fmax)
        else:
            assert gain < GAIN, (name, s, fmax)
