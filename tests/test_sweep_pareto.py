"""Pareto fronts: the sort-based mask equals the brute-force definition."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.sweep.pareto import Front, add_pareto_flags, pareto_mask


def _brute(cost: np.ndarray, err: np.ndarray) -> np.ndarray:
    # j dominates i: no worse in both, strictly better in one
    le = (cost[None, :] <= cost[:, None]) & (err[None, :] <= err[:, None])
    lt = (cost[None, :] < cost[:, None]) | (err[None, :] < err[:, None])
    return ~(le & lt).any(axis=1)


values = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=0, max_size=40
)  # small ranges: many ties


@settings(max_examples=200, deadline=None)
@given(values)
def test_mask_matches_definition(pairs):
    cost = np.array([p[0] for p in pairs], dtype=float)
    err = np.array([p[1] for p in pairs], dtype=float)
    assert (pareto_mask(cost, err) == _brute(cost, err)).all()


def test_ineligible_points_are_never_on_a_front():
    df = pd.DataFrame(
        {
            "status": ["ok", "ok", "failed", "ok"],
            "verify_status": ["pass", "fail", None, "pass"],
            "cost": pd.array([10, 1, 1, None], dtype="Int64"),
            "err": [0.5, 0.1, 0.1, 0.0],
        }
    )
    front = Front("area", "pareto_area", "cost", True, "err", "cost", "err")
    flags = add_pareto_flags(df, (front,))["pareto_area"]
    assert list(flags) == [True, False, False, False]


def test_higher_is_better_cost():
    df = pd.DataFrame({"status": ["ok"] * 3, "tpa": [1.0, 2.0, 3.0], "err": [0.1, 0.2, 0.3]})
    front = Front("throughput_per_area", "pareto_tpa", "tpa", False, "err", "t", "e")
    assert list(add_pareto_flags(df, (front,))["pareto_tpa"]) == [True, True, True]
