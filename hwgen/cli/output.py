"""Plain-text and CSV rendering shared by the CLI commands.

Tables are rendered to one string before anything is written, so a command that fails
half-way prints nothing; plain text (not rich) keeps the output stable when piped.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

import click

Cell = str | int | float


def format_value(x: float) -> str:
    """Spell a format value exactly: ``nan``, ``inf``, ``-inf``, ``-0.0`` or ``repr(float)``.

    ``repr`` is the shortest string that reads back to the same float64, so tables written
    with it round-trip without loss.
    """
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    return repr(x)


def _cell(value: Cell) -> str:
    if isinstance(value, float):
        return format_value(value)
    return str(value)


def _is_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """Render rows as an aligned text table (numeric columns right-aligned).

    Parameters
    ----------
    headers
        Column titles.
    rows
        One sequence of cells per row, each as long as ``headers``; floats are spelled by
        :func:`format_value`.

    Returns
    -------
    str
        The table, a header line and a rule line first, ending with a newline.
    """
    text_rows = [[_cell(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    # A column is right-aligned when every non-empty cell in it reads as a number.
    right = [
        all(_is_numeric(row[i]) for row in text_rows if row[i]) and any(row[i] for row in text_rows)
        for i in range(len(headers))
    ]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out.extend(line(row) for row in text_rows)
    return "\n".join(out) + "\n"


def render_csv(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> str:
    """Render rows as CSV (``\\n`` line ends; floats spelled by :func:`format_value`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([_cell(c) for c in row] for row in rows)
    return buf.getvalue()


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, as_csv: bool) -> None:
    """Write rows to stdout as CSV or as an aligned table, in one write."""
    text = render_csv(headers, rows) if as_csv else render_table(headers, rows)
    click.echo(text, nl=False)
