"""``hwgen demo``: formats, quantization error, then the embedded default sweep."""

from __future__ import annotations

from pathlib import Path

import click

from hwgen import __version__
from hwgen.cli.options import jobs_option, progress_option
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
DEFAULT_OUT = Path("rtl_out") / "demo"


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
    help="Also run the embedded default sweep (generate, verify, cost, rank, plot, report).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Output directory of the sweep (designs/, results, plots, report.html).",
)
@jobs_option("Parallel evaluations (default: all cores).")
@progress_option()
@click.option(
    "--print-spec",
    is_flag=True,
    help="Print the embedded sweep spec (a starting point for `hwgen sweep`) and exit.",
)
@click.pass_context
def demo(
    ctx: click.Context,
    formats_text: str,
    group_size: int,
    dist: str,
    seed: int,
    hardware: bool,
    out: Path,
    jobs: int | None,
    progress: str,
    print_spec: bool,
) -> None:
    """Show value tables, rank formats by quantization error, then run the default sweep.

    The sweep (`hwgen demo --print-spec` shows it; docs/sweep.md) generates INT4/INT8 and
    FP4/FP6/FP8 MACs with exact and FP32 accumulators, the BitMoD PE and 2x2/4x4 PE
    arrays as Verilog under OUT/designs/, verifies a random sample of each on Icarus,
    prices them on hwgen's embedded ASIC library (area, OpenSTA fmax) and on iCE40 (LUTs,
    FFs), scores them by quantization error and a BERT-base inference, and writes
    results.csv/.parquet, the Pareto plots and report.html into OUT. Re-runs are served
    from OUT/cache. Exits 1 when a design failed.
    """
    if print_spec:
        from hwgen.sweep.demo import DEMO_SPEC

        click.echo(DEMO_SPEC.read_text(encoding="utf-8"), nl=False)
        return
    format_names = parse_format_list(formats_text)
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
    options = None
    if hardware:
        from hwgen.sweep.demo import DEMO_SPEC
        from hwgen.sweep.points import expand
        from hwgen.sweep.runner import RunOptions, check_out_dir
        from hwgen.sweep.spec import load_spec

        options = RunOptions(jobs=jobs, progress=progress)
        spec = load_spec(DEMO_SPEC)
        expand(spec)
        check_out_dir(out.resolve(), spec)  # refused before any output
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
    if options is None:
        return
    from hwgen.sweep.demo import DEMO_SPEC, run_demo

    click.echo(
        f"\nThe default sweep ({DEMO_SPEC.name}): generate -> lint -> verify (Icarus sample)"
        " -> cost (embedded ASIC library + OpenSTA, iCE40) -> accuracy -> BERT-base workload"
        f" -> Pareto fronts, into {out}\n"
    )
    result = run_demo(out, options)
    click.echo(result.summary())
    if result.stats.failed:
        ctx.exit(1)
