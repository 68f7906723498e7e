"""``hwgen.sim.verify``: the options object and argument checking (no simulator needed)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from hwgen.design.mac import MacConfig
from hwgen.emit import emit
from hwgen.errors import HwgenError
from hwgen.sim.fault import Fault
from hwgen.sim.runner import Simulator
from hwgen.sim.stimulus import GemmStimulus
from hwgen.sim.verify import VerifyOptions, VerifyReport, check, verify


@pytest.fixture(scope="module")
def mac_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("verify_args") / "mac"
    emit(MacConfig(a_format="fp8_e4m3", w_format="int8", max_terms=16384), d)
    return d


def test_bad_arguments_are_one_line_errors(mac_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(HwgenError, match=r"^vectors must be in 0..16777216, not -1$"):
        verify(mac_dir, VerifyOptions(vectors=-1))
    with pytest.raises(HwgenError, match=r"^lanes must be in 1\.\.256, not 0$"):
        verify(mac_dir, VerifyOptions(lanes=0))
    with pytest.raises(HwgenError, match=r"^seed must be >= 0, not -3$"):
        verify(mac_dir, VerifyOptions(seed=-3))
    with pytest.raises(HwgenError, match=r"^sim must be one of verilator, icarus, not 'vcs'$"):
        check(mac_dir, _tiny_gemm(), VerifyOptions(sim="vcs"))
    with pytest.raises(HwgenError, match=r"^design directory not found: "):
        verify(tmp_path / "missing")


def test_stimulus_must_match_the_design_kind(mac_dir: Path) -> None:
    with pytest.raises(HwgenError, match=r"^a mac design needs a MacStimulus, not a GemmStimulus$"):
        check(mac_dir, _tiny_gemm())


def test_nothing_to_check_is_reported(mac_dir: Path) -> None:
    # 16 operand bits would be exhaustive, but max_terms is beyond the extreme phase's limit.
    with pytest.raises(HwgenError, match=r"^nothing to check: vectors=0"):
        verify(mac_dir, VerifyOptions(vectors=0, exhaustive=False))


def test_report_summary_and_rates() -> None:
    r = VerifyReport(
        design="mac_x", kind="mac", sim=Simulator.ICARUS, lanes=4, seed=1, checks=1000,
        mismatches=2, by_signal={"acc": 2, "flags": 0}, first_mismatches=("acc lane 0 ...",),
        phases=(("random", 1000),), run_seconds=2.0, loop_seconds=0.5,
    )  # fmt: skip
    assert not r.passed
    assert r.checks_per_second == 500 and r.loop_checks_per_second == 2000
    text = r.summary()
    assert "mismatches  2 (acc 2)" in text and "result      FAIL" in text
    assert "first mismatches:\n  acc lane 0 ..." in text


def _tiny_gemm() -> GemmStimulus:
    return GemmStimulus(
        a=np.zeros((1, 1, 1), dtype=np.int64), w=np.zeros((1, 1, 1), dtype=np.int64),
        last=np.ones(1, dtype=bool), gap=np.zeros(1, dtype=np.int64),
        out_ready=np.ones(1, dtype=bool), stress_from=1,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sim": "foo"}, "sim must be one of verilator, icarus, not 'foo'"),
        ({"waves": "sometimes"}, "waves must be one of never, on-failure, always, not 'sometimes'"),
        ({"vectors": 1.5}, "vectors must be an integer, not 1.5"),
        ({"lanes": True}, "lanes must be an integer, not True"),
        ({"stress": "yes"}, "stress must be true or false, not 'yes'"),
        ({"max_report": -1}, "max_report must be >= 0, not -1"),
    ],
)
def test_bad_options_are_one_line_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(HwgenError, match=f"^{re.escape(message)}$"):
        VerifyOptions(**kwargs)


def test_bad_sim_through_verify_is_one_line(mac_dir: Path) -> None:
    """Regression: ``sim="foo"`` used to raise a raw ValueError before validation."""
    with pytest.raises(HwgenError, match=r"^sim must be one of verilator, icarus, not 'foo'$"):
        verify(mac_dir, VerifyOptions(sim="foo"))


def test_options_serialise_and_key() -> None:
    opts = VerifyOptions(
        sim="icarus", vectors=np.int64(100), seed=3, lanes=np.int32(4), waves="never",
        fault=Fault(lane=1, role="acc", bit=2),
    )  # fmt: skip
    assert opts.sim is Simulator.ICARUS and opts.vectors == 100 and type(opts.vectors) is int
    d = opts.to_dict()
    assert json.loads(json.dumps(d)) == d
    back = VerifyOptions.from_dict(d)
    assert back == opts and back.key() == opts.key()
    assert VerifyOptions(seed=4).key() != VerifyOptions(seed=3).key()
    assert VerifyOptions.from_dict({}) == VerifyOptions()
    with pytest.raises(HwgenError, match=r"^unknown verify options: speed; allowed: sim, "):
        VerifyOptions.from_dict({"speed": 1})


def test_inconsistent_manifest_is_refused(mac_dir: Path, tmp_path: Path) -> None:
    """A manifest whose ports are not those its config derives is not simulated."""
    d = tmp_path / "edited"
    shutil.copytree(mac_dir, d)
    man = json.loads((d / "manifest.json").read_text())
    man["ports"][-1]["width"] += 1
    (d / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(
        HwgenError, match=r"manifest\.json: inconsistent manifest: ports\[7\]\.width is 4, but"
    ):
        verify(d)
