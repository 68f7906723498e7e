"""``hwgen demo``: formats, quantization error, then generate -> verify -> cost -> Pareto."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from hwgen import __version__
from hwgen.cli.output import Cell, render_table
from hwgen.errors import HwgenError
from hwgen.formats import Format, MixtureFormat, get, get_format

DEFAULT_FORMATS = (
    "int4",
    "int8",
    "fp4_e2m1",
    "fp6_e2m3",
    "fp6_e3m2",
    "fp8_e4m3",
    "fp8_e5m2",
    "flint4",
    "bitmod_fp4",
    "bitmod_fp3",
    "int3",
)
DEFAULT_GROUP_SIZE = 128
# Heavy-tailed like trained LLM weights, the case the BitMoD and flint formats target.
DEFAULT_DIST = "student-t"
DEFAULT_SEED = 0
DEFAULT_PAIRS = "int8:int8,int4:int4,fp8_e4m3:fp8_e4m3,fp8_e4m3:int4,fp4_e2m1:fp4_e2m1"
DEFAULT_OUT = Path("rtl_out") / "demo"
DEFAULT_VECTORS = 20_000


def parse_format_list(text: str) -> list[str]:
    """Split a comma-separated list of format names and check every name is known.

    Raises
    ------
    HwgenError
        For an empty entry or a repeated name.
    UnknownFormatError
        For a name the registry does not know (raised by :func:`hwgen.formats.get`).
    """
    parsed = [part.strip() for part in text.split(",")]
    if any(not name for name in parsed):
        raise HwgenError(
            f"--formats {text!r} has an empty entry;"
            " give comma-separated names such as int4,fp4_e2m1"
        )
    seen: set[str] = set()
    for name in parsed:
        if name in seen:
            raise HwgenError(f"--formats {text!r} names {name!r} twice; give each format once")
        seen.add(name)
        get(name)
    return parsed


def side_by_side(columns: list[Format]) -> tuple[list[str], list[list[Cell]]]:
    """Value tables of several formats as columns indexed by code.

    Narrower formats leave their cells empty beyond their last code.
    """
    headers = ["code", *(f.name for f in columns)]
    n_codes = max(1 << f.bits for f in columns)
    rows: list[list[Cell]] = []
    for code in range(n_codes):
        row: list[Cell] = [code]
        for f in columns:
            row.append(float(f.values()[code]) if code < (1 << f.bits) else "")
        rows.append(row)
    return headers, rows


def _value_table_formats() -> list[Format]:
    fp3 = get("bitmod_fp3")
    variants = list(fp3.variants) if isinstance(fp3, MixtureFormat) else [get_format("bitmod_fp3")]
    return [get_format("fp4_e2m1"), *variants]


@click.command()
@click.option(
    "--formats",
    "formats_text",
    default=",".join(DEFAULT_FORMATS),
    show_default=True,
    help="Comma-separated format names to rank.",
)
@click.option(
    "--group-size",
    type=click.IntRange(min=1),
    default=DEFAULT_GROUP_SIZE,
    show_default=True,
    help="Elements sharing one absmax scale.",
)
@click.option(
    "--dist",
    default=DEFAULT_DIST,
    show_default=True,
    help="Distribution of the synthetic tensors.",
)
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Random seed.")
@click.option(
    "--hardware/--no-hardware",
    default=True,
    show_default=True,
    help="Also generate, verify (Verilator) and cost the MAC designs of --pairs.",
)
@click.option(
    "--pairs",
    default=DEFAULT_PAIRS,
    show_default=True,
    help="MAC designs as ACTIVATION:WEIGHT format pairs, comma-separated.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Where the designs, results.csv and pareto.png go.",
)
@click.option(
    "--vectors",
    type=click.IntRange(min=1),
    default=DEFAULT_VECTORS,
    show_default=True,
    help="Random MAC cycles per design on top of every operand pair.",
)
def demo(
    formats_text: str,
    group_size: int,
    dist: str,
    seed: int,
    hardware: bool,
    pairs: str,
    out: Path,
    vectors: int,
) -> None:
    """Show value tables, rank formats by quantization error, then build and price MACs.

    The hardware part emits each MAC of --pairs, verifies it bit-exactly against the golden
    model on Verilator, synthesizes it with Yosys (generic gates) and plots area against
    the weight format's SQNR, writing results.csv and pareto.png into --out.
    """
    from hwgen.sweep.demo import parse_pairs  # pandas-backed, like quant_error below

    format_names = parse_format_list(formats_text)
    design_pairs = parse_pairs(pairs) if hardware else []
    if hardware and out.exists() and not out.is_dir():
        raise HwgenError(f"--out {str(out)!r} is a file, not a directory")
    # pandas-backed; imported here so that `hwgen --version` and `hwgen formats` start fast.
    from hwgen.quant import rank_formats, synthetic_tensors

    value_headers, value_rows = side_by_side(_value_table_formats())
    tensors = synthetic_tensors(dist, seed)
    ranking = rank_formats(tensors, format_names, group_size=group_size)
    assert not isinstance(ranking, tuple)  # per_tensor=False: one table

    rank_rows: list[list[Cell]] = [
        [
            rank,
            str(row.format),
            f"{row.bits_per_weight:.3f}",
            f"{row.rel_mse:.3e}",
            f"{row.sqnr_db:.2f}",
        ]
        for rank, row in enumerate(ranking.itertuples(index=False), start=1)
    ]
    # Everything is computed before the first write: a failure leaves no partial output.
    click.echo(
        f"hwgen {__version__} demo\n\n"
        "Value of every code: OCP FP4 (E2M1) and the BitMoD FP3 variants, whose -0 code\n"
        "carries one extra value\n\n"
        + render_table(value_headers, value_rows)
        + f"\nQuantization error, best first: {len(tensors)} synthetic {dist!r} tensors"
        f" (seed {seed}),\none scale per group of {group_size} (absmax; BitMoD picks a variant"
        " per group)\n\n"
        + render_table(["rank", "format", "bits_per_weight", "rel_mse", "sqnr_db"], rank_rows),
        nl=False,
    )
    if design_pairs:
        _hardware(design_pairs, tensors, group_size, out, vectors)


def _hardware(
    pairs: list[tuple[str, str]],
    tensors: dict,
    group_size: int,
    out: Path,
    vectors: int,
) -> None:
    from hwgen.quant import rank_formats
    from hwgen.sweep.demo import evaluate_mac, plot_pareto, results_frame

    weights = sorted({w for _, w in pairs})
    table = rank_formats(tensors, weights, group_size=group_size)
    assert not isinstance(table, tuple)  # per_tensor=False: one table
    sqnr = table.set_index("format")["sqnr_db"]
    out.mkdir(parents=True, exist_ok=True)
    click.echo(
        f"\nGenerate -> verify (Verilator, every operand pair + {vectors:,} random cycles)"
        " -> cost (Yosys generic gates)\n"
    )
    results = []
    for a, w in pairs:
        r = evaluate_mac(
            a,
            w,
            out_dir=out,
            weight_sqnr_db=float(sqnr[w]),
            vectors=vectors,
        )
        verdict = "PASS" if r.verified else f"FAIL ({r.mismatches} mismatches)"
        click.echo(f"  {r.design:<42} {verdict:<6} {r.checks:>9,} checks  {r.transistors:>6} T")
        results.append(r)
    df = results_frame(results)
    # Written to temporary names first, then renamed: no half-written results on failure.
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        csv_tmp, png_tmp = Path(tmp) / "results.csv", Path(tmp) / "pareto.png"
        df.to_csv(csv_tmp, index=False)
        plot_pareto(df, png_tmp)
        csv_tmp.replace(out / "results.csv")
        png_tmp.replace(out / "pareto.png")
    rows: list[list[Cell]] = [
        [
            r.design,
            r.acc_bits,
            "yes" if r.verified else "NO",
            r.cells,
            r.transistors,
            f"{r.weight_sqnr_db:.2f}",
            "*" if r.pareto else "",
        ]
        for r in df.itertuples(index=False)
    ]
    click.echo(
        "\n"
        + render_table(
            ["design", "acc_bits", "verified", "cells", "transistors", "w_sqnr_db", "pareto"],
            rows,
        )
        + f"\narea: {df['area_source'].iloc[0]}\n"
        f"wrote {out / 'results.csv'} and {out / 'pareto.png'}"
    )
    if not df["verified"].all():
        raise click.exceptions.Exit(1)
