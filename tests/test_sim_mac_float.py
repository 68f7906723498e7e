"""Float-accumulating MACs in Verilator against ``float_mac_trace``, bit-exact.

The acc port carries the accumulator's code; NaN results are the format's canonical NaN in
both the golden model and the hardware, so codes compare bit for bit.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers import EmittedDesigns

from hwgen.design.mac import MacConfig
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError
from hwgen.sim.corners import float_corners
from hwgen.sim.fault import Fault
from hwgen.sim.runner import Simulator
from hwgen.sim.verify import VerifyOptions, Waves, check, verify

pytestmark = pytest.mark.sim

SMALL_TERMS = 64
LANES = 64
"""2**16 operand pairs of two 8-bit formats take 1024 clocks."""


@pytest.fixture(scope="session")
def design(tmp_path_factory: pytest.TempPathFactory):
    """Emit a float-accumulating MAC (once per config) and return its directory."""
    designs = EmittedDesigns(tmp_path_factory.mktemp("float_mac_designs"))
    return lambda **kw: designs(MacConfig(max_terms=SMALL_TERMS, **kw))


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


# The default suite runs the E4M3 x E4M3 -> FP32 MAC's corners and random cycles on
# Verilator (below) and FP16 x INT8 on Icarus; the full runs (exhaustive pairs, 8k random
# cycles on 64 lanes) and the tie-flipped copy, the corner phase's negative control, run
# with the slow marker.
DEFAULT_KEYS: tuple[str, ...] = ()


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
    # The directed corners are a named phase of the summary, with their check count.
    cfg = MacConfig(max_terms=SMALL_TERMS, **kw)
    corners = float_corners(cfg, lanes=LANES)
    assert phases["corners"] == corners.stimulus.lanes * corners.stimulus.cycles > 0
    assert f"corners {phases['corners']:,}" in r.summary()
    e = r.acc_error
    assert e is not None and e.count > 0
    assert 0.0 < e.mean_rel <= e.max_rel
    assert "acc error   max rel" in r.summary()


def test_float_accumulator_corners_and_random(design) -> None:
    """E4M3 x E4M3 -> FP32 on 8 lanes: every directed corner and 1k random cycles."""
    kw = CONFIGS["e4m3_fp32_fused"]
    opts = VerifyOptions(vectors=1 << 10, seed=3, lanes=8, waves=Waves.NEVER, exhaustive=False)
    r = verify(design(**kw), opts)
    assert r.passed, r.summary()
    phases = dict(r.phases)
    assert "exhaustive" not in phases and phases["random"] == 1 << 10
    corners = float_corners(MacConfig(max_terms=SMALL_TERMS, **kw), lanes=8)
    assert phases["corners"] == corners.stimulus.lanes * corners.stimulus.cycles > 0
    assert r.acc_error is not None and r.acc_error.count > 0


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


def test_icarus_smoke_float_accumulator(design) -> None:
    """A short run on Icarus: the corners, extreme and a few random cycles."""
    r = verify(
        design(**CONFIGS["fp16_int8_fp16"]),
        VerifyOptions(sim="icarus", vectors=256, seed=5, lanes=16, waves=Waves.NEVER),
    )
    assert r.passed, r.summary()
    assert r.sim is Simulator.ICARUS
    assert {"corners", "extreme", "random"} <= set(dict(r.phases))


def _flip_tie_rounding(src: Path, dst: Path) -> str:
    """Copy a design dir with the accumulator's round-up ``rnd & (sticky | lsb)`` turned
    into ``rnd & (sticky | ~lsb)``: ties go to odd, everything else is unchanged."""
    shutil.copytree(src, dst)
    man = Manifest.load(dst)
    path = dst / man.verilog[0]
    text = path.read_text()
    add = re.search(r"assign \\faccum\.a_magcode\s+= .*?\{ \d+'h0+, (_\d+_) \}\);", text)
    assert add, "the accumulator's a_magcode rounding add was not found in the Verilog"
    up = re.search(rf"assign {add[1]} = (.+?) & (_\d+_);", text)
    assert up, f"the round-up term {add[1]} is not 'round & (sticky | lsb)'"
    lsb = re.search(rf"assign {up[2]} = (_\d+_) \| (.+?);", text)
    assert lsb, f"the term {up[2]} is not 'sticky | lsb'"
    old = lsb[0]
    new = f"assign {up[2]} = {lsb[1]} | ~{lsb[2]};"
    path.write_text(text.replace(old, new, 1))
    return f"{old} -> {new}"


@pytest.mark.slow  # a second Verilator build (the edited copy)
def test_negative_control_tie_rounding_flipped_in_rtl_is_caught_by_corners(
    design, tmp_path: Path
) -> None:
    """A one-bit change of the rounding logic (ties to odd) in a copy of the emitted
    Verilog: the corner phase alone finds it (exact ties are rare in random sums)."""
    cfg = MacConfig(max_terms=SMALL_TERMS, **CONFIGS["e4m3_fp32_fused"])
    bad = tmp_path / "tie_flipped"
    what = _flip_tie_rounding(design(**CONFIGS["e4m3_fp32_fused"]), bad)
    corners = float_corners(cfg, lanes=LANES)
    r = check(bad, corners.stimulus, VerifyOptions(waves=Waves.NEVER, max_report=3),
              build_root=tmp_path / "build")  # fmt: skip
    assert not r.passed, what
    # Only tie corners can tell ties-to-odd from ties-to-even (and what follows them).
    assert r.mismatches >= corners.counts["tie_even"] + corners.counts["tie_odd"] > 0
    assert r.by_signal == {"acc": r.mismatches}


ACC_FORMAT_CONFIGS = {
    "fp32": CONFIGS["e4m3_fp32_fused"],
    "fp16": CONFIGS["fp16_fp16_unfused_s2"],
    "bf16": {"a_format": "bf16", "w_format": "bf16", "acc_format": "bf16"},
}


@pytest.mark.slow
@pytest.mark.parametrize("acc", list(ACC_FORMAT_CONFIGS))
def test_ten_million_random_macs_per_accumulator_format(design, acc: str) -> None:
    r = verify(
        design(**ACC_FORMAT_CONFIGS[acc]),
        VerifyOptions(vectors=10_000_000, seed=11, lanes=256, waves=Waves.NEVER),
    )
    assert r.passed, r.summary()
    assert dict(r.phases)["random"] >= 10_000_000


def test_verify_refuses_a_fault_on_a_port_the_float_mac_lacks(design, tmp_path: Path) -> None:
    """A float MAC has no flags port: a fault there is refused before anything is built."""
    opts = VerifyOptions(vectors=64, lanes=4, fault=Fault(lane=0, role="flags", bit=0))
    with pytest.raises(
        HwgenError, match=r"^fault role must be one of a, acc, clear, valid, w, not 'flags'$"
    ):
        verify(design(**CONFIGS["fp16_int8_fp16"]), opts, build_root=tmp_path)
    assert not (tmp_path / "runs").exists()  # refused before any run


def test_verify_options_refuse_a_fault_that_is_not_a_fault() -> None:
    with pytest.raises(HwgenError, match=r"^fault must be a Fault or None, not str$"):
        VerifyOptions(fault="acc")  # type: ignore[arg-type]


def test_corners_still_run_when_random_and_exhaustive_are_off() -> None:
    """vectors=0 with 16-bit operands: the corners are what is left to check (a
    fixed-point MAC would say "nothing to check")."""
    from hwgen.sim.bench_mac import MacBench

    cfg = MacConfig(max_terms=SMALL_TERMS, **CONFIGS["fp16_int8_fp16"])
    stim, phases = MacBench().stimulus(cfg, VerifyOptions(vectors=0, exhaustive=False), 16)
    assert stim.lanes == 16
    names = [n for n, _ in phases]
    assert names == ["extreme", "corners"]
    skipped = dict(MacBench().skipped_phases(cfg, VerifyOptions(vectors=0, exhaustive=False)))
    assert skipped == {"exhaustive": "turned off"}
    fixed = MacConfig(a_format="fp16", w_format="fp16", max_terms=10_000)
    with pytest.raises(HwgenError, match=r"^nothing to check: vectors=0"):
        MacBench().stimulus(fixed, VerifyOptions(vectors=0), 16)
