"""Scoreboard: every mismatch counted, the first ones decoded with their operands."""

from __future__ import annotations

import numpy as np

from hwgen.formats import get_format
from hwgen.golden import Multiplier, Overflow, accumulator_spec
from hwgen.sim.expect import Arithmetic, gemm_expected, mac_expected
from hwgen.sim.scoreboard import acc_text, code_text, flags_text, score_gemm, score_mac
from hwgen.sim.stimulus import exhaustive_pairs, random_gemm

E4M3 = get_format("fp8_e4m3")
INT8 = get_format("int8")


def _arith(a, w, max_terms: int) -> Arithmetic:
    return Arithmetic(
        a=a, w=w, spec=accumulator_spec(a, w, max_terms), overflow=Overflow.EXACT,
        multiplier=Multiplier.EXACT, out=None, has_flags=bool(a.nan_codes or w.nan_codes),
    )  # fmt: skip


def test_decoded_texts() -> None:
    assert code_text(E4M3, 0x38) == "0x38 (1.0)"
    assert code_text(INT8, 0xFF) == "0xff (-1.0)"
    assert acc_text(-3, -2) == "-3 (= -0.75)"
    assert flags_text(0) == "none"
    assert flags_text(1 | 4) == "nan|ninf"


def test_mac_scoreboard_counts_all_and_reports_first() -> None:
    arith = _arith(E4M3, INT8, 4)
    stim = exhaustive_pairs(E4M3, INT8, lanes=16)
    exp = mac_expected(arith, stim)
    got = {"acc": exp.acc.copy(), "flags": exp.flags.copy()}
    clean = score_mac(arith, stim, exp, got)
    assert clean.passed and clean.checks == 16 * stim.cycles and clean.first_position is None
    got["acc"][3, 100:120] += 1
    got["flags"][5, 7] ^= 1
    score = score_mac(arith, stim, exp, got, max_report=4)
    assert score.mismatches == 21
    assert score.by_signal == {"acc": 20, "flags": 1}
    assert len(score.first) == 4
    assert score.first_position == 7
    first = score.first[0]
    assert (first.signal, first.lane, first.where) == ("flags", 5, "cycle 7")
    a, w = stim.a[5, 7], stim.w[5, 7]
    assert f"a={code_text(E4M3, a)} w={code_text(INT8, w)}" in first.operands
    assert "acc lane 3 cycle 100: expected" in str(score.first[1])


def test_gemm_scoreboard_checks_rows_and_data() -> None:
    arith = _arith(INT8, INT8, 8)
    rng = np.random.default_rng(0)
    stim = random_gemm(INT8, INT8, rows=2, cols=3, lanes=1, macs=300, max_terms=8, rng=rng)
    exp = gemm_expected(arith, stim)
    want = stim.tiles * 2
    rows = np.arange(want) % 2
    data = exp.acc.transpose(1, 2, 0, 3).reshape(want, 1, 3).copy()
    assert score_gemm(arith, stim, exp, rows, data, None).passed
    data[3, 0, 2] += 5
    score = score_gemm(arith, stim, exp, rows, data, None)
    assert score.mismatches == 1 and score.first_position == 1
    assert score.first[0].where == "tile 1 row 1 col 2"
    assert score.first[0].operands.startswith("K=")
    # A missing final row is counted too.
    short = score_gemm(arith, stim, exp, rows[:-1], data[:-1], None)
    assert short.by_signal["rows"] == 1 and not short.passed
