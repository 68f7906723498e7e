"""BitMoD PEs in Verilator (and a smoke run in Icarus): group results vs the golden model."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.emit import emit
from hwgen.sim import harness
from hwgen.sim.fault import Fault
from hwgen.sim.verify import VerifyOptions, Waves, verify

pytestmark = pytest.mark.sim


@pytest.fixture(scope="session")
def pe(tmp_path_factory: pytest.TempPathFactory):
    """Emit a PE design (once per config) and return its directory."""
    root = tmp_path_factory.mktemp("bitmod_designs")
    made: dict[BitmodPEConfig, Path] = {}

    def make(**kw: object) -> Path:
        cfg = BitmodPEConfig(**kw)  # type: ignore[arg-type]
        if cfg not in made:
            made[cfg] = root / cfg.name
            emit(cfg, made[cfg])
        return made[cfg]

    return make


def test_every_datatype_selector_and_special_activation(pe) -> None:
    d = pe(dot=2, group_size=16, mode="narrow")
    r = verify(d, VerifyOptions(vectors=1 << 11, lanes=3, seed=1, waves=Waves.NEVER))
    assert r.passed, r.summary()
    names = [name for name, _ in r.phases]
    assert names == ["datatypes", "activations", "random"]
    assert r.checks >= 1 << 11


@pytest.mark.slow  # a second Verilator build (the faulty harness)
def test_negative_control_corrupted_weight_bit(pe) -> None:
    d = pe(dot=2, group_size=16, mode="narrow")
    r = verify(
        d,
        VerifyOptions(
            vectors=1 << 10, lanes=2, waves=Waves.NEVER, fault=Fault(lane=1, role="w", bit=1)
        ),
    )
    assert not r.passed
    assert r.by_signal.get("out_man", 0) > 0
    assert all(" lane 1 " in m for m in r.first_mismatches)


def test_icarus_smoke_and_cached_build_skips_the_harness(pe, monkeypatch) -> None:
    d = pe(dot=2, group_size=16, mode="narrow")
    opts = VerifyOptions(sim="icarus", vectors=1 << 9, lanes=1, waves=Waves.NEVER)
    r = verify(d, opts)
    assert r.passed, r.summary()

    # A cached build is found from the harness inputs: the harness (Amaranth + Yosys,
    # tens of seconds at 256 lanes) is not generated again.
    def fail(**kw: object) -> str:
        raise AssertionError("harness regenerated for a cached build")

    monkeypatch.setattr(harness, "harness_verilog", fail)
    again = verify(d, opts)
    assert again.passed and again.build_cached


@pytest.mark.slow
@pytest.mark.parametrize(
    "kw",
    [
        {"dot": 4, "group_size": 32, "mode": "exact"},
        {"dot": 4, "group_size": 128, "mode": "narrow"},
        {"dot": 8, "group_size": 64, "act_format": "bf16", "mode": "exact"},
        {"dot": 4, "group_size": 32, "act_format": "fp8_e4m3", "mode": "narrow"},
        {"dot": 4, "group_size": 32, "act_format": "int8", "mode": "exact"},
        {"dot": 4, "group_size": 64, "mode": "narrow", "acc_rounding": "nearest"},
    ],
    ids=lambda kw: "_".join(str(v) for v in kw.values()),
)
def test_random_groups_many_configs(pe, kw: dict[str, object]) -> None:
    d = pe(**kw)
    r = verify(d, VerifyOptions(vectors=1 << 16, waves=Waves.NEVER))
    assert r.passed, r.summary()
