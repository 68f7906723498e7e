"""Plots and report render from a table alone, deterministically."""

from __future__ import annotations

import pandas as pd

from hwgen.sweep.pareto import Front, add_pareto_flags
from hwgen.sweep.plot import render_front


def _table() -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "design": ["a", "b", "c", "d"],
            "design_class": ["int", "minifloat", "mixed", "bitmod"],
            "a_format": ["int4", "fp4_e2m1", "int4", "bitmod_fp4"],
            "w_format": ["int4", "fp4_e2m1", "fp4_e2m1", "int4"],
            "status": ["ok"] * 4,
            "verify_status": ["pass", "pass", "fail", "pass"],
            "area": pd.array([100, 400, 150, 5000], dtype="Int64"),
            "err": [0.1, 0.01, 0.05, 0.001],
        }
    )
    return df


FRONT = Front("area", "pareto_area", "area", True, "err", "area (units)", "rel. MSE")


def test_plots_are_byte_identical_when_redrawn():
    df = add_pareto_flags(_table(), (FRONT,))
    one, two = render_front(df, FRONT, "t"), render_front(df, FRONT, "t")
    assert one["png"] == two["png"] and one["svg"] == two["svg"]
    svg = one["svg"].decode()
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert one["png"][:4] == b"\x89PNG"
    assert list(df["pareto_area"]) == [True, True, False, True]
