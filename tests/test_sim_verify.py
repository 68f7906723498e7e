"""``hwgen.verify`` argument checking (no simulator needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwgen.emit import emit
from hwgen.errors import HwgenError
from hwgen.rtl.config import MacConfig
from hwgen.sim.runner import Simulator
from hwgen.sim.stimulus import GemmStimulus
from hwgen.verify import VerifyReport, check, verify


@pytest.fixture(scope="module")
def mac_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("verify_args") / "mac"
    emit(MacConfig(a_format="fp8_e4m3", w_format="int8", max_terms=16384), d)
    return d


def test_bad_arguments_are_one_line_errors(mac_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(HwgenError, match=r"^vectors must be an integer >= 0, not -1$"):
        verify(mac_dir, vectors=-1)
    with pytest.raises(HwgenError, match=r"^lanes must be in 1\.\.256, not 0$"):
        verify(mac_dir, lanes=0)
    with pytest.raises(HwgenError, match=r"^seed must be an integer >= 0, not -3$"):
        verify(mac_dir, seed=-3)
    with pytest.raises(HwgenError, match=r"^sim must be one of verilator, icarus, not 'vcs'$"):
        check(mac_dir, _tiny_gemm(), sim="vcs")
    with pytest.raises(HwgenError, match=r"^design directory not found: "):
        verify(tmp_path / "missing")


def test_stimulus_must_match_the_design_kind(mac_dir: Path) -> None:
    with pytest.raises(HwgenError, match=r"^a mac design needs a MacStimulus, not a GemmStimulus$"):
        check(mac_dir, _tiny_gemm())


def test_nothing_to_check_is_reported(mac_dir: Path) -> None:
    # 16 operand bits would be exhaustive, but max_terms is beyond the extreme phase's limit.
    with pytest.raises(HwgenError, match=r"^nothing to check: vectors=0"):
        verify(mac_dir, vectors=0, exhaustive=False)


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
