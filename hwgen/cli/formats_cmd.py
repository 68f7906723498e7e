"""``hwgen formats``: list the registered number formats and print their value tables."""

from __future__ import annotations

import click

from hwgen.cli.oneline import OneLineGroup
from hwgen.cli.output import Cell, echo_table
from hwgen.formats import Format, MinifloatFormat, MixtureFormat, get, get_format, names

LIST_HEADERS = ("name", "bits", "kind", "min", "max", "min_positive", "specials")
TABLE_HEADERS = ("code", "bits", "hex", "value")


def _variants(fmt: Format | MixtureFormat) -> tuple[Format, ...]:
    return tuple(fmt.variants) if isinstance(fmt, MixtureFormat) else (fmt,)


def format_summary(fmt: Format | MixtureFormat) -> list[Cell]:
    """One row of ``hwgen formats list`` for a format.

    A mixture has no value per code on its own; its row covers the union of its
    variants (smallest min, largest max, smallest positive value). ``min`` is the most
    negative value :meth:`~hwgen.formats.Format.encode` produces (``-7`` for
    ``int4_narrow``).
    """
    variants = _variants(fmt)
    specials = str(fmt.specials) if isinstance(fmt, MinifloatFormat) else "none"
    return [
        fmt.name,
        fmt.bits,
        str(fmt.kind),
        min(v.min_value for v in variants),
        max(v.max_value for v in variants),
        min(v.min_positive for v in variants),
        specials,
    ]


def code_rows(fmt: Format) -> list[list[Cell]]:
    """One row per code: decimal code, binary pattern, hex pattern and exact value."""
    hex_digits = (fmt.bits + 3) // 4
    return [
        [code, format(code, f"0{fmt.bits}b"), f"0x{code:0{hex_digits}x}", float(value)]
        for code, value in enumerate(fmt.values().tolist())
    ]


@click.group(cls=OneLineGroup)
def formats() -> None:
    """Inspect the number formats hwgen knows."""


@formats.command("list")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV instead of a table.")
def list_formats(as_csv: bool) -> None:
    """List every registered format with its width, kind, range and special codes.

    Other fpN_eXmY layouts (bias _bB/_bmB, _nosub, _ieee/_fn/_none) are accepted everywhere
    but not listed; every format has one canonical name, which the list shows.
    """
    rows = [format_summary(get(name)) for name in names()]
    echo_table(LIST_HEADERS, rows, as_csv=as_csv)


@formats.command("table")
@click.argument("name")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV instead of a table.")
def table(name: str, as_csv: bool) -> None:
    """Print the value of every code of format NAME.

    Values are exact: nan, inf, -inf, -0.0, otherwise the shortest decimal that reads back
    to the same float64.
    """
    echo_table(TABLE_HEADERS, code_rows(get_format(name)), as_csv=as_csv)
