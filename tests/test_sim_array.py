"""PE arrays in Verilator (and a smoke run in Icarus): random GEMM tiles vs the golden model."""

from __future__ import annotations

import numpy as np
import pytest

from hwgen.sim.fault import Fault
from hwgen.sim.stimulus import GemmStimulus
from hwgen.sim.verify import VerifyOptions, Waves, check, verify

pytestmark = pytest.mark.sim

MACS = 1 << 15


@pytest.mark.parametrize(
    ("rows", "cols", "a", "w", "max_terms"),
    [
        (2, 3, "int8", "int8", 16),
        pytest.param(4, 4, "fp8_e4m3", "int8", 32, marks=pytest.mark.slow),
        pytest.param(8, 8, "int8", "fp4_e2m1", 64, marks=pytest.mark.slow),
    ],
)
def test_random_gemm_tiles_with_backpressure(
    array_design, rows: int, cols: int, a: str, w: str, max_terms: int
) -> None:
    d = array_design(rows, cols, a_format=a, w_format=w, max_terms=max_terms)
    r = verify(d, VerifyOptions(vectors=MACS, seed=2, waves=Waves.NEVER))
    assert r.passed, r.summary()
    # Full-speed tiles plus the stressed part (idle beats, out_ready backpressure).
    assert r.checks >= MACS + MACS // 8


@pytest.mark.slow  # a build of its own; the random-GEMM test covers the array by default
def test_wrapping_array_and_lanes_in_lockstep(array_design) -> None:
    d = array_design(
        3, 2, a_format="int8", w_format="int8", max_terms=32, acc_bits=14, overflow="wrap"
    )
    r = verify(d, VerifyOptions(vectors=MACS, lanes=3, waves=Waves.NEVER))
    assert r.passed, r.summary()


def test_single_beat_tiles_back_to_back(array_design) -> None:
    """K = 1 tiles, each a `last` beat: the worst case for the output double buffer."""
    d = array_design(2, 3, a_format="int8", w_format="int8", max_terms=16)
    rng = np.random.default_rng(5)
    beats = 40
    stim = GemmStimulus(
        a=rng.integers(0, 256, size=(beats, 1, 2)),
        w=rng.integers(0, 256, size=(beats, 1, 3)),
        last=np.ones(beats, dtype=bool),
        gap=np.zeros(beats, dtype=np.int64),
        out_ready=np.array([True, False, True]),
        stress_from=beats // 2,
    )
    r = check(d, stim, VerifyOptions(waves=Waves.NEVER))
    assert r.passed, r.summary()


def test_negative_control_corrupted_result_bit(array_design) -> None:
    d = array_design(2, 3, a_format="int8", w_format="int8", max_terms=16)
    r = verify(
        d,
        VerifyOptions(
            vectors=1 << 12, waves=Waves.NEVER, fault=Fault(lane=0, role="out_data", bit=2)
        ),
    )
    assert not r.passed
    # Bit 2 of out_data is column 0's accumulator: wrong whenever that bit is set.
    assert r.by_signal["out_data"] > 0 and r.by_signal["out_row"] == 0
    assert all("col 0" in m for m in r.first_mismatches)


@pytest.mark.slow
def test_long_8x8_gemm(array_design) -> None:
    d = array_design(8, 8, a_format="fp8_e4m3", w_format="int8", max_terms=4096)
    r = verify(d, VerifyOptions(vectors=1 << 23, waves=Waves.NEVER))
    assert r.passed, r.summary()


def test_icarus_array_smoke(array_design) -> None:
    d = array_design(2, 3, a_format="int8", w_format="int8", max_terms=16)
    r = verify(d, VerifyOptions(sim="icarus", vectors=1 << 11, waves=Waves.NEVER))
    assert r.passed, r.summary()
