"""What the BitMoD PE and array benches share: bus packing, job arrays and scoring."""

from __future__ import annotations

import numpy as np

from hwgen.design.base import Role
from hwgen.golden.bitmod import GroupFlag
from hwgen.sim.bitmod_common import (
    beat_rows,
    flags_text,
    group_rows,
    job_arrays,
    score_results,
    sv_field,
    type_text,
)


def test_beat_rows_put_unit_u_lane_l_of_beat_b_in_element_u_dot_plus_l() -> None:
    # 1 group, 2 units, group size 4 = 2 beats of dot 2; codes name their position.
    x = np.array([[[0x10, 0x11, 0x12, 0x13], [0x20, 0x21, 0x22, 0x23]]])
    rows = beat_rows(x, units=2, beats_per_group=2, dot=2, width=8)
    # Beat 0: unit 0 elements 0, 1 then unit 1 elements 0, 1 (lowest bits first).
    assert rows == [0x21201110, 0x23221312]


def test_group_rows_pack_shared_and_per_unit_fields() -> None:
    assert group_rows(np.array([3, 5]), width=3) == [3, 5]
    assert group_rows(np.array([[1, 2], [3, 0]]), width=2) == [0b1001, 0b0011]


def test_sv_field_is_sign_magnitude() -> None:
    assert sv_field(5, 5) == 5
    assert sv_field(-5, 5) == 0b100101


def test_job_arrays_use_narrow_types_and_default_to_no_input_gaps() -> None:
    z = np.zeros((2, 3), dtype=np.int64)
    arrays = job_arrays(
        dtype=np.zeros(2, dtype=np.int64),
        sel=z,
        scale=z + 255,
        w=np.zeros((2, 3, 4), dtype=np.int64),
        a=np.full((2, 3, 4), 0xFFFF),
        specials=(1, -2, 3, -4),
        out_ready=np.ones(1, dtype=np.int64),
    )
    assert arrays["a"].dtype == np.uint16 and int(arrays["a"].max()) == 0xFFFF
    assert arrays["scale"].dtype == np.uint8 and int(arrays["scale"].max()) == 255
    assert arrays["specials"].tolist() == [1, -2, 3, -4]
    assert arrays["valid"].tolist() == [1]


def test_score_counts_every_mismatch_and_missing_row_and_decodes_the_first() -> None:
    want = {
        Role.OUT_MAN: np.arange(12).reshape(6, 2),
        Role.OUT_FLAGS: np.zeros((6, 2), dtype=np.int64),
    }
    got_man = want[Role.OUT_MAN].copy()
    got_man[3, 1] += 1  # one wrong value in row 3
    got_flags = np.zeros((5, 2), dtype=np.int64)  # row 5 never came
    got_flags[4, 0] = int(GroupFlag.NAN)
    seen: list[tuple[int, int]] = []

    def describe(row: int, unit: int) -> tuple[int, str, str]:
        seen.append((row, unit))
        return unit, f"row {row}", "operands"

    score = score_results(
        want,
        {Role.OUT_MAN: got_man, Role.OUT_FLAGS: got_flags},
        checks=96,
        rows_per_group=2,
        describe=describe,
        max_report=10,
    )
    assert score.checks == 96
    assert score.mismatches == 1 + 2 + 1  # a wrong mantissa, a missing row of 2, a flag
    assert score.by_signal == {"out_man": 1, "out_flags": 3}
    assert score.first_position == 1  # row 3 is group 1 at 2 rows per group
    assert seen == [(3, 1), (4, 0)]
    flag = next(m for m in score.first if m.signal == "out_flags")
    assert (flag.expected, flag.got, flag.lane) == ("none", "nan", 0)


def test_score_reports_at_most_max_report_and_passes_when_equal() -> None:
    want = {Role.OUT_MAN: np.zeros((4,), dtype=np.int64)}
    bad = score_results(
        want,
        {Role.OUT_MAN: np.ones((4,), dtype=np.int64)},
        checks=4,
        rows_per_group=1,
        describe=lambda r, u: (0, f"group {r}", ""),
        max_report=2,
    )
    assert bad.mismatches == 4 and len(bad.first) == 2
    good = score_results(
        want,
        {Role.OUT_MAN: np.zeros((4,), dtype=np.int64)},
        checks=4,
        rows_per_group=1,
        describe=lambda r, u: (0, "", ""),
        max_report=2,
    )
    assert good.passed and good.first_position is None


def test_texts() -> None:
    assert flags_text(int(GroupFlag.NAN) | int(GroupFlag.PINF)) == "nan|pinf"
    assert flags_text(0) == "none"
    assert type_text(0) == "int8"
    assert type_text(7) == "code 7"
