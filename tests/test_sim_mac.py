"""MAC designs in Verilator (and a smoke run in Icarus) against the golden model.

Designs are emitted once per session; harness builds are cached on disk (keyed by the
Verilog and the harness) and shared between test workers.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import EmittedDesigns

from hwgen.design.mac import MacConfig
from hwgen.emit.manifest import Manifest
from hwgen.formats import get_format
from hwgen.golden import accumulator_spec
from hwgen.sim.fault import Fault
from hwgen.sim.stimulus import MacStimulus
from hwgen.sim.verify import VerifyOptions, Waves, check, verify

pytestmark = pytest.mark.sim

SMALL_TERMS = 64
"""max_terms of the test designs: the extreme phase reaches the sized bound in 64 cycles."""
RANDOM = 1 << 14
LANES = 16
"""Harness width in tests: builds stay small; 2**16 pairs still take only 4096 clocks."""


@pytest.fixture(scope="session")
def design(tmp_path_factory: pytest.TempPathFactory):
    """Emit a MAC design (once per config) and return its directory."""
    designs = EmittedDesigns(tmp_path_factory.mktemp("mac_designs"))
    return lambda **kw: designs(MacConfig(**kw))


PAIRS = [
    ("int8", "int8"),
    ("fp8_e4m3", "fp8_e4m3"),
    pytest.param("fp8_e5m2", "fp8_e5m2", marks=pytest.mark.slow),  # wide exact acc: ~20 s
    # Each pair is a Verilator build of its own (~20 s): the default suite keeps one
    # integer and one minifloat pair, the mixed and 4-bit pairs run with the slow marker.
    pytest.param("fp4_e2m1", "fp4_e2m1", marks=pytest.mark.slow),
    pytest.param("int8", "fp4_e2m1", marks=pytest.mark.slow),
    pytest.param("fp8_e4m3", "int8", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("a", "w"), PAIRS)
def test_exhaustive_pairs_extremes_and_random(design, a: str, w: str) -> None:
    d = design(a_format=a, w_format=w, max_terms=SMALL_TERMS)
    r = verify(d, VerifyOptions(vectors=RANDOM, seed=7, lanes=LANES, waves=Waves.NEVER))
    assert r.passed, r.summary()
    phases = dict(r.phases)
    n_pairs = 1 << (get_format(a).bits + get_format(w).bits)
    # Every pair, padded to whole clocks of LANES lanes.
    assert phases["exhaustive"] == -(-n_pairs // LANES) * LANES
    assert phases["extreme"] == LANES * 2 * SMALL_TERMS
    assert phases["random"] == RANDOM
    assert r.checks == sum(phases.values())
    # Formats with NaN / inf codes get their sticky flags compared too.
    has_specials = any(get_format(f).has_specials for f in (a, w))
    assert ("flags" in r.by_signal) == has_specials


@pytest.mark.parametrize(
    ("a", "w", "overflow", "acc_bits", "acc_lsb", "lsb_exp"),
    [
        # Narrower than one product: the default window keeps its top bits (LSB 2^4).
        ("int8", "int8", "wrap", 12, None, 4),
        # A window placed by the user, inside the products' range (a second build).
        pytest.param("fp8_e4m3", "int8", "saturate", 14, -6, -6, marks=pytest.mark.slow),
    ],
)
def test_narrow_windowed_accumulators_like_the_model(
    design, a: str, w: str, overflow: str, acc_bits: int, acc_lsb: int | None, lsb_exp: int
) -> None:
    exact = accumulator_spec(a, w, SMALL_TERMS)
    assert acc_bits < exact.bits  # the extreme phase really overflows this accumulator
    d = design(
        a_format=a, w_format=w, max_terms=SMALL_TERMS, acc_bits=acc_bits, overflow=overflow,
        acc_lsb=acc_lsb,
    )  # fmt: skip
    acc = Manifest.load(d).accumulator
    assert (acc.bits, acc.lsb_exp, acc.rounding) == (acc_bits, lsb_exp, "floor")
    assert lsb_exp > exact.lsb_exp  # products really lose bits below the window
    r = verify(d, VerifyOptions(vectors=RANDOM, seed=3, lanes=LANES, waves=Waves.NEVER))
    assert r.passed, r.summary()


@pytest.mark.slow  # the largest model to compile; the converter is tested in test_rtl_fpconvert
def test_pipelined_mac_with_float_output(design) -> None:
    d = design(
        a_format="fp8_e4m3", w_format="fp8_e4m3", max_terms=SMALL_TERMS, stages=2,
        out_format="fp16",
    )  # fmt: skip
    man = Manifest.load(d)
    assert man.latency == 3 and man.output is not None
    # Few lanes: the float converter makes this the largest model to compile.
    r = verify(d, VerifyOptions(vectors=RANDOM, lanes=4, waves=Waves.NEVER))
    assert r.passed, r.summary()


@pytest.mark.slow  # a build of its own; the L-Mul logic is unit-tested in test_rtl_multiplier
def test_lmul_multiplier(design) -> None:
    d = design(a_format="fp8_e4m3", w_format="fp8_e4m3", max_terms=SMALL_TERMS, multiplier="lmul")
    r = verify(d, VerifyOptions(vectors=RANDOM, lanes=LANES, waves=Waves.NEVER))
    assert r.passed, r.summary()


def test_clear_and_valid_corner_cases(design) -> None:
    """Hand-written control sequences; each lane uses other random operands."""
    # The E4M3 MAC of the exhaustive test (same config and lanes): its build is reused.
    d = design(a_format="fp8_e4m3", w_format="fp8_e4m3", max_terms=SMALL_TERMS)
    #            start    clear w/o valid  2 clears   idle   clear+valid  hold  end idle
    valid = [1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0]
    clear = [1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0]
    lanes = LANES
    rng = np.random.default_rng(11)
    shape = (lanes, len(valid))
    stim = MacStimulus(
        a=rng.integers(0, 256, size=shape),
        w=rng.integers(0, 256, size=shape),
        valid=np.broadcast_to(np.array(valid, dtype=bool), shape).copy(),
        clear=np.broadcast_to(np.array(clear, dtype=bool), shape).copy(),
    )
    r = check(d, stim, VerifyOptions(waves=Waves.NEVER))
    assert r.passed, r.summary()
    assert r.checks == lanes * len(valid)


def test_negative_control_faulty_lane_is_caught(design) -> None:
    """A harness lane whose design sees a wrong weight bit must produce mismatches."""
    d = design(a_format="int8", w_format="int8", max_terms=SMALL_TERMS)
    r = verify(
        d,
        VerifyOptions(
            vectors=1 << 10, lanes=8, waves=Waves.NEVER, fault=Fault(lane=5, role="w", bit=0)
        ),
    )
    assert not r.passed
    assert r.mismatches > 1000  # counted beyond the reported ones
    assert len(r.first_mismatches) == 10
    assert all(" lane 5 " in m for m in r.first_mismatches)
    assert "a=0x" in r.first_mismatches[0] and "expected" in r.first_mismatches[0]
    assert "FAIL" in r.summary() and r.waves is None


def test_icarus_waves_on_failure(design) -> None:
    """A failing run is repeated up to its first mismatch with tracing on (FST in Icarus)."""
    d = design(a_format="int8", w_format="fp4_e2m1", max_terms=SMALL_TERMS)
    r = verify(
        d,
        VerifyOptions(
            sim="icarus", vectors=1 << 8, lanes=4, fault=Fault(lane=2, role="acc", bit=3)
        ),
    )
    assert not r.passed and r.by_signal["acc"] > 0
    assert r.waves is not None and r.waves.suffix == ".fst" and r.waves.stat().st_size > 0
    assert str(r.waves) in r.summary()


@pytest.mark.slow
def test_long_random_accumulation(design) -> None:
    d = design(a_format="fp8_e4m3", w_format="int8", max_terms=4096)
    r = verify(d, VerifyOptions(vectors=1 << 22, seed=5, lanes=LANES, waves=Waves.NEVER))
    assert r.passed, r.summary()


def test_icarus_smoke(design) -> None:
    d = design(a_format="fp8_e4m3", w_format="fp4_e2m1", max_terms=SMALL_TERMS)
    r = verify(d, VerifyOptions(sim="icarus", vectors=1 << 10, lanes=16))
    assert r.passed, r.summary()
    assert dict(r.phases)["exhaustive"] == 1 << 12
