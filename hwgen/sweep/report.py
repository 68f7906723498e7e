"""The self-contained HTML report of a sweep (``report.html``).

One file that opens offline: the Pareto plots as inline SVG, the best-design and
error-budget tables, the full results table, skipped combinations and failures (each table
sortable by clicking a header: a few lines of inline JavaScript, no library), the stages
with their sources, the tool versions and the spec itself. Nothing in it depends on the
time or the machine it was written on beyond the tool versions it reports, so an unchanged
sweep writes the same bytes.

``report.html#sort=COLUMN`` (or ``#sort=-COLUMN`` for descending) opens with the results
table sorted by that column.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hwgen.sweep.pareto import Front
from hwgen.sweep.spec import SweepSpec
from hwgen.sweep.summary import best_rows, budget_rows

__all__ = ["render_report"]

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em 2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:12px;margin:.5em 0}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;white-space:nowrap}
th{background:#f3f3f3;cursor:pointer;position:sticky;top:0}
th.asc::after{content:" \\25B2"}th.desc::after{content:" \\25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.failed td{background:#fde8e8}tr.front td:first-child{font-weight:bold}
.scroll{overflow:auto;max-height:36em;border:1px solid #eee}
.plots{display:flex;flex-wrap:wrap;gap:1em}.plots figure{margin:0}
.plots svg{max-width:100%;height:auto}
pre{background:#f7f7f7;padding:.8em;overflow:auto;font-size:12px}
.muted{color:#666}
"""

# Sorts a table by the clicked header (numbers numerically, empty cells last), and the
# results table from "#sort=COL" / "#sort=-COL" on load.
_JS = """
function hwgenSort(table, col, desc) {
  var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
  function key(r) { var c = r.cells[col]; return c.getAttribute('data-v') || c.textContent; }
  rows.sort(function (a, b) {
    var x = key(a), y = key(b);
    if (x === '' || y === '') { return (x === '') - (y === ''); }
    var nx = parseFloat(x), ny = parseFloat(y), r;
    r = (!isNaN(nx) && !isNaN(ny) && isFinite(x) && isFinite(y)) ? nx - ny : x.localeCompare(y);
    return desc ? -r : r;
  });
  rows.forEach(function (r) { body.appendChild(r); });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    th.className = i === col ? (desc ? 'desc' : 'asc') : '';
  });
  var name = table.tHead.rows[0].cells[col].textContent;
  table.setAttribute('data-sorted', name + (desc ? ' desc' : ' asc'));
}
document.querySelectorAll('table.sortable').forEach(function (t) {
  Array.prototype.forEach.call(t.tHead.rows[0].cells, function (th, i) {
    th.addEventListener('click', function () { hwgenSort(t, i, th.className === 'asc'); });
  });
  t.setAttribute('data-sortable', 'ready');
});
var m = /sort=(-?)([^&]+)/.exec(location.hash);
if (m) {
  var t = document.getElementById('results');
  var names = Array.prototype.map.call(t.tHead.rows[0].cells, function (c) {
    return c.textContent;
  });
  var i = names.indexOf(decodeURIComponent(m[2]));
  if (i >= 0) { hwgenSort(t, i, m[1] === '-'); }
}
"""


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return '<td data-v=""></td>'
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int | float):
        v = float(value)
        shown = f"{value:,}" if isinstance(value, int) else f"{v:.4g}"
        return f'<td class="num" data-v="{v!r}">{html.escape(shown)}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _native(value: Any) -> Any:
    if value is pd.NA or value is None:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _table(
    df: pd.DataFrame,
    *,
    table_id: str,
    row_class: Any = None,
) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for i, (_, row) in enumerate(df.iterrows()):
        cls = row_class(row) if row_class is not None else ""
        attr = f' class="{cls}"' if cls else ""
        cells = "".join(_cell(_native(v)) for v in row.tolist())
        body.append(f'<tr data-row="{i}"{attr}>{cells}</tr>')
    return (
        f'<div class="scroll"><table class="sortable" id="{table_id}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _dict_table(
    rows: Sequence[Mapping[str, str]], columns: Sequence[tuple[str, str]], tid: str
) -> str:
    df = pd.DataFrame([{label: r[key] for key, label in columns} for r in rows])
    return _table(df, table_id=tid) if len(df) else "<p class='muted'>none</p>"


def _svg_body(svg: bytes) -> str:
    text = svg.decode("utf-8")
    return text[text.index("<svg") :]


def render_report(
    spec: SweepSpec,
    df: pd.DataFrame,
    skipped: pd.DataFrame,
    fronts: Sequence[Front],
    plots: Mapping[str, Mapping[str, bytes]],
    *,
    versions: Mapping[str, str],
    counts: Mapping[str, int],
    note: str | None = None,
) -> str:
    """The report's HTML text.

    Parameters
    ----------
    spec
        The sweep spec (name, description, text, stages).
    df
        The results table with its ``pareto_*`` flags.
    skipped
        The skipped combinations.
    fronts
        The fronts drawn.
    plots
        Front name -> ``{"svg": bytes, ...}``.
    versions
        Tool versions of the stages.
    counts
        ``points``, ``ok``, ``failed``, ``skipped``.
    note
        A paragraph under the counts (e.g. that ``df`` holds a part of the results).
    """
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>hwgen sweep {e(spec.name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>hwgen sweep <code>{e(spec.name)}</code></h1>",
    ]
    if spec.description:
        parts.append(f"<p>{e(spec.description)}</p>")
    parts.append(
        f"<p id='counts'>{counts['points']} design points: {counts['ok']} ok,"
        f" {counts['failed']} failed; {counts['skipped']} combinations skipped.</p>"
    )
    if note:
        parts.append(f"<p id='note'>{e(note)}</p>")
    parts.append("<h2>Pareto fronts</h2><div class='plots'>")
    for f in fronts:
        if f.name in plots:
            parts.append(
                f"<figure id='plot-{e(f.name)}'>{_svg_body(plots[f.name]['svg'])}"
                f"<figcaption>{e(f.error)} vs {e(f.cost)}: "
                f"{int(df[f.flag].fillna(False).sum())} designs on the front</figcaption></figure>"
            )
    if not fronts:
        parts.append("<p class='muted'>no front: the sweep has no error or no cost column</p>")
    parts.append("</div>")
    area = next((f for f in fronts if f.name == "area"), None)
    if area is not None:
        parts.append(f"<h2>Best designs ({e(area.cost)}, {e(area.error)})</h2>")
        parts.append(
            _dict_table(
                best_rows(df, area),
                [
                    ("group", "family / class"),
                    ("cheapest", "cheapest"),
                    ("cheapest_cost", area.cost),
                    ("cheapest_error", "SQNR"),
                    ("accurate", "most accurate"),
                    ("accurate_cost", f"{area.cost} "),
                    ("accurate_error", "SQNR "),
                ],
                "best",
            )
        )
        parts.append("<h2>Cheapest design per error budget</h2>")
        parts.append(
            _dict_table(
                budget_rows(df, area, spec.report.sqnr_budgets_db),
                [
                    ("budget", "SQNR budget"),
                    ("design", "design"),
                    ("cost", area.cost),
                    ("error", "SQNR"),
                ],
                "budgets",
            )
        )
    flags = [f.flag for f in fronts]

    def row_class(row: pd.Series) -> str:
        if row["status"] != "ok":
            return "failed"
        return "front" if any(bool(row.get(fl)) for fl in flags if pd.notna(row.get(fl))) else ""

    parts.append(
        "<h2>Results</h2><p class='muted'>Click a header to sort. Rows in bold are on a front;"
        " red rows failed (see <code>failed_stage</code> and <code>error</code>).</p>"
    )
    parts.append(_table(df, table_id="results", row_class=row_class))
    parts.append("<h2>Skipped combinations</h2>")
    parts.append(
        _table(skipped, table_id="skipped") if len(skipped) else "<p class='muted'>none</p>"
    )
    failed = df[df["status"] != "ok"][["design", "failed_stage", "error"]]
    parts.append("<h2>Failures</h2>")
    parts.append(
        _table(failed, table_id="failures") if len(failed) else "<p class='muted'>none</p>"
    )
    parts.append("<h2>Stages</h2><ul>")
    for inst in spec.stages:
        opts = ", ".join(f"{k}={v}" for k, v in inst.options.to_dict().items())
        parts.append(
            f"<li><code>{e(inst.name)}</code>: {e(inst.stage.summary)}"
            + (f" <span class='muted'>({e(opts)})</span>" if opts else "")
            + "</li>"
        )
    parts.append("</ul>")
    from hwgen.sweep.summary import fidelity_lines

    for line in fidelity_lines(df):
        parts.append(f"<p>{e(line)}</p>")
    if spec.gemm is not None:
        ran = any(inst.stage.name == "workload" for inst in spec.stages)
        what = "workload stage" if ran else "recorded; the workload stage is not in [stages] run"
        parts.append(f"<p class='muted'>GEMM workload ({what}): {e(str(spec.gemm.to_dict()))}</p>")
    parts.append("<h2>Tool versions</h2>")
    vdf = pd.DataFrame({"tool": list(versions), "version": list(versions.values())})
    parts.append(_table(vdf, table_id="versions"))
    parts.append(
        f"<h2>Spec <code>{e(Path(spec.source).name)}</code></h2><pre id='spec'>{e(spec.text)}</pre>"
    )
    parts.append(f"<script>{_JS}</script></body></html>\n")
    return "\n".join(parts)
