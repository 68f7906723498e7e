"""verify: the vector bound, skipped phases and lane rounding said in the summary, --json."""

from __future__ import annotations

import json

import pytest

from hwgen.cli import verify_cmd
from hwgen.design.mac import MacConfig
from hwgen.errors import HwgenError
from hwgen.sim.bench_mac import EXTREME_MAX_TERMS, MacBench
from hwgen.sim.runner import Simulator
from hwgen.sim.verify import MAX_VECTORS, VerifyOptions, VerifyReport


def _report(**kw) -> VerifyReport:
    base = dict(
        design="d", kind="mac", sim=Simulator.ICARUS, lanes=16, seed=0, checks=1008,
        mismatches=0, phases=(("random", 1008),), requested=1000,
    )  # fmt: skip
    return VerifyReport(**{**base, **kw})


def test_vectors_bound_in_the_api():
    assert VerifyOptions(vectors=MAX_VECTORS).vectors == MAX_VECTORS
    with pytest.raises(HwgenError) as info:
        VerifyOptions(vectors=10**12)
    assert str(info.value) == f"vectors must be in 0..{MAX_VECTORS}, not 1000000000000"


def test_vectors_bound_on_the_cli(cli, tmp_path):
    assert cli("verify", str(tmp_path), "--vectors", str(10**12)) == (
        2,
        "",
        "hwgen: error: Invalid value for '--vectors': 1000000000000 is not in the range "
        f"0<=x<={MAX_VECTORS}. (see `hwgen verify --help`)\n",
    )
    code, out, _ = cli("verify", "--help")
    assert code == 0 and "at most 16,777,216" in " ".join(out.split())


def test_extreme_phase_skip_is_reported():
    cfg = MacConfig(a_format="int4", w_format="int4", max_terms=EXTREME_MAX_TERMS * 2)
    skipped = MacBench().skipped_phases(cfg, VerifyOptions())
    assert skipped == [
        (
            "extreme",
            "max_terms 16384 > 8192 (the phase takes 2 x max_terms clocks); overflow "
            "handling is checked by the random phase only",
        )
    ]
    small = MacConfig(a_format="int4", w_format="int4")
    assert MacBench().skipped_phases(small, VerifyOptions()) == []
    assert MacBench().skipped_phases(small, VerifyOptions(exhaustive=False)) == [
        ("exhaustive", "turned off")
    ]
    summary = _report(skipped=tuple(skipped)).summary()
    assert "skipped     extreme phase: max_terms 16384 > 8192" in summary


def test_lane_rounding_is_said():
    summary = _report().summary()
    assert (
        "note        random phase: 1,000 vectors rounded up to whole clocks of 16 lanes "
        "(1,008)" in summary
    )
    assert "note" not in _report(checks=1008, requested=1008).summary()
    assert "(1 lane)" in _report(lanes=1).summary()
    assert "(16 lanes)" in _report().summary()


def test_json_output(cli, tmp_path, monkeypatch):
    report = _report(skipped=(("extreme", "why"),))
    monkeypatch.setattr(verify_cmd, "run_verify", lambda *a, **k: report)
    code, out, err = cli("verify", str(tmp_path), "--json")
    assert (code, err) == (0, "")
    d = json.loads(out)
    assert d == json.loads(json.dumps(report.to_dict()))
    assert d["passed"] is True and d["skipped"] == [{"name": "extreme", "reason": "why"}]
    assert d["phases"] == [{"name": "random", "checks": 1008}]


def test_json_output_failing_exits_1(cli, tmp_path, monkeypatch):
    monkeypatch.setattr(verify_cmd, "run_verify", lambda *a, **k: _report(mismatches=3))
    code, out, _ = cli("verify", str(tmp_path), "--json")
    assert code == 1 and json.loads(out)["passed"] is False
