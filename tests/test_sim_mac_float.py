"""Float-accumulating MACs in Verilator against ``float_mac_trace``, bit-exact.

The acc port carries the accumulator's code; NaN results are the format's canonical NaN in
both the golden model and the hardware, so codes compare bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hwgen.design.mac import MacConfig
from hwgen.emit import emit
from hwgen.sim.fault import Fault
from hwgen.sim.verify import VerifyOptions, Waves, verify

pytestmark = pytest.mark.sim

SMALL_TERMS = 64
LANES = 64
"""2**16 operand pairs of two 8-bit formats take 1024 clocks."""


@pytest.fixture(scope="session")
def design(tmp_path_factory: pytest.TempPathFactory):
    """Emit a float-accumulating MAC (once per config) and return its directory."""
    root = tmp_path_factory.mktemp("float_mac_designs")
    made: dict[MacConfig, Path] = {}

    def make(**kw: object) -> Path:
        cfg = MacConfig(max_terms=SMALL_TERMS, **kw)
        if cfg not in made:
            made[cfg] = root / cfg.name
            emit(cfg, made[cfg])
        return made[cfg]

    return make


CONFIGS = {
    "e4m3_fp32_fused": {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3", "acc_format": "fp32"},
    "fp16_fp16_unfused_s2": {
        "a_format": "fp16",
        "w_format": "fp16",
        "acc_format": "fp16",
        "acc_rounding": "unfused",
        "stages": 2,
    },
    "fp16_int8_fp16": {"a_format": "fp16", "w_format": "int8", "acc_format": "fp16"},
}


# The default suite keeps one float MAC on Verilator (the cheapest build); the exhaustive
# E4M3 pairs and the pipelined FP16 adder run with the slow marker.
DEFAULT_KEYS = ("fp16_int8_fp16",)


@pytest.mark.parametrize(
    "key",
    [k if k in DEFAULT_KEYS else pytest.param(k, marks=pytest.mark.slow) for k in CONFIGS],
)
def test_float_accumulator_bit_exact(design, key: str) -> None:
    kw = CONFIGS[key]
    r = verify(design(**kw), VerifyOptions(vectors=1 << 13, seed=3, lanes=LANES, waves=Waves.NEVER))
    assert r.passed, r.summary()
    assert set(r.by_signal) == {"acc"}  # no flags port: specials are acc codes
    phases = dict(r.phases)
    if key.startswith("e4m3"):
        assert phases["exhaustive"] == 1 << 16  # every pair, 1024 clocks of 64 lanes
    e = r.acc_error
    assert e is not None and e.count > 0
    assert 0.0 < e.mean_rel <= e.max_rel
    assert "acc error   max rel" in r.summary()


def test_negative_control_flipped_acc_bit_is_caught(design) -> None:
    """The lowest mantissa bit of one lane's acc (a rounding bit) flipped: the bench sees it."""
    d = design(**CONFIGS["e4m3_fp32_fused"])
    opts = VerifyOptions(
        vectors=1 << 10, lanes=8, waves=Waves.NEVER, exhaustive=False,
        fault=Fault(lane=3, role="acc", bit=0),
    )  # fmt: skip
    r = verify(d, opts)
    assert not r.passed and r.by_signal["acc"] > 100
    assert all(" lane 3 " in m for m in r.first_mismatches)


@pytest.mark.slow
@pytest.mark.parametrize("key", list(CONFIGS))
def test_long_random_float_accumulation(design, key: str) -> None:
    r = verify(
        design(**CONFIGS[key]),
        VerifyOptions(vectors=1 << 22, seed=11, lanes=256, waves=Waves.NEVER),
    )
    assert r.passed, r.summary()
