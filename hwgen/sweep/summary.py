"""The short terminal summary of a sweep: best design per family and class, per error budget.

For every (family, design class) group (``mac int``, ``array minifloat``, ...) it names
the cheapest and the most accurate eligible design by the area front's columns, and for
every error budget of ``[report] sqnr_budgets_db`` the cheapest design whose error is
within it (SQNR >= budget, i.e. rel. MSE <= 10^(-budget/10)). Costs from the fitted fast
model (``fast_<target>_*`` columns) come with the fit's held-out error, one line per target
(:func:`fidelity_lines`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import pandas as pd

from hwgen.sweep.pareto import Front, eligible

__all__ = ["best_rows", "budget_rows", "fidelity_lines", "summary_text"]

_FAST_SOURCE = re.compile(r"fast_([a-z0-9]+)_source")


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _db(rel: float) -> str:
    return f"{-10 * math.log10(rel):.1f} dB" if rel > 0 else "exact"


def _usable(df: pd.DataFrame, front: Front) -> pd.DataFrame:
    ok = df[eligible(df)]
    return ok[ok[front.cost].notna() & ok[front.error].notna()]


def best_rows(df: pd.DataFrame, front: Front) -> list[dict[str, str]]:
    """Per (family, design class): the cheapest and the most accurate design."""
    use = _usable(df, front)
    rows = []
    for (fam, cls), part in use.groupby(["family", "design_class"], sort=True):
        cost = part[front.cost].astype(float)
        err = part[front.error].astype(float)
        sign = 1.0 if front.cost_lower else -1.0
        keyed = part.assign(_c=sign * cost, _e=err)
        # Ties are broken by the other column, then by spec order (stable sort).
        cheap = keyed.sort_values(["_c", "_e"], kind="stable").iloc[0]
        acc = keyed.sort_values(["_e", "_c"], kind="stable").iloc[0]
        rows.append(
            {
                "group": f"{fam} {cls}",
                "cheapest": str(cheap["design"]),
                "cheapest_cost": _fmt(float(cheap[front.cost])),
                "cheapest_error": _db(float(cheap[front.error])),
                "accurate": str(acc["design"]),
                "accurate_cost": _fmt(float(acc[front.cost])),
                "accurate_error": _db(float(acc[front.error])),
            }
        )
    return rows


def budget_rows(
    df: pd.DataFrame, front: Front, budgets_db: Sequence[float]
) -> list[dict[str, str]]:
    """Per SQNR budget: the cheapest design within it (``design`` empty when none is)."""
    use = _usable(df, front)
    rows = []
    for b in budgets_db:
        limit = 10 ** (-b / 10)
        within = use[use[front.error].astype(float) <= limit]
        if within.empty:
            rows.append({"budget": f">= {b:g} dB", "design": "", "cost": "", "error": ""})
            continue
        key = within[front.cost].astype(float) * (1 if front.cost_lower else -1)
        best = within.loc[key.sort_values(kind="stable").index[0]]
        rows.append(
            {
                "budget": f">= {b:g} dB",
                "design": str(best["design"]),
                "cost": _fmt(float(best[front.cost])),
                "error": _db(float(best[front.error])),
            }
        )
    return rows


def summary_text(
    df: pd.DataFrame, fronts: Sequence[Front], budgets_db: Sequence[float]
) -> list[str]:
    """The ranking lines of the terminal summary (empty without an area front)."""
    front = next((f for f in fronts if f.name == "area"), fronts[0] if fronts else None)
    if front is None:
        return ["no Pareto front: the sweep has no error or no cost column"]
    lines = [f"best designs by {front.cost} and {front.error} (eligible points: ok, verified):"]
    best = best_rows(df, front)
    if not best:
        lines.append("  none: no point has both numbers")
        return lines
    w = max(len(r["group"]) for r in best)
    for r in best:
        lines.append(
            f"  {r['group']:<{w}}  cheapest {r['cheapest']} ({r['cheapest_cost']},"
            f" {r['cheapest_error']});  most accurate {r['accurate']} ({r['accurate_cost']},"
            f" {r['accurate_error']})"
        )
    lines.append(f"cheapest design per error budget (SQNR from {front.error}):")
    for r in budget_rows(df, front, budgets_db):
        if r["design"]:
            lines.append(f"  {r['budget']:>9}  {r['design']} ({r['cost']}, {r['error']})")
        else:
            lines.append(f"  {r['budget']:>9}  none within budget")
    return lines


def fidelity_lines(df: pd.DataFrame) -> list[str]:
    """One line per fitted-model target of the table: the fit and its held-out error.

    The fit is the one named in the ``fast_<target>_source`` column; its full error
    (:meth:`~hwgen.costmodel.fast.model.FittedModel.model_error`) when the installed fit
    file is that fit, else the size MAPE and Spearman stored in the table.
    """
    from hwgen.costmodel.fast.fidelity import fidelity_line
    from hwgen.costmodel.fast.model import load_fit
    from hwgen.errors import HwgenError

    lines = []
    for col in df.columns:
        m = _FAST_SOURCE.fullmatch(str(col))
        if m is None:
            continue
        labels = df[col].dropna()
        if labels.empty:
            continue
        target, label = m[1], str(labels.iloc[0])
        try:
            fit = load_fit(target)
        except HwgenError:
            fit = None
        if fit is not None and label.endswith(fit.fit_id):
            err = fit.model_error()
        else:

            def first(name: str) -> object:
                v = df.get(name)
                return None if v is None or v.dropna().empty else v.dropna().iloc[0]

            err = {
                "area_mape_pct": first(f"fast_{target}_model_area_mape_pct"),
                "spearman": first(f"fast_{target}_model_spearman"),
            }
        lines.append(f"fitted model, {target}: {fidelity_line(err, label)}")
    return lines
