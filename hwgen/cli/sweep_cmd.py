"""``hwgen sweep SPEC --out DIR``: run a design-space sweep (see :mod:`hwgen.sweep.runner`)."""

from __future__ import annotations

from pathlib import Path

import click

from hwgen.cli.options import jobs_option, progress_option

EXIT_FAILED_POINTS = 1
"""Exit code when some design point failed a stage (the sweep itself completed)."""


@click.command("sweep")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Output directory (default: rtl_out/sweep_<name>). Must be new, empty, or hold "
    "this sweep's earlier results (which are reused).",
)
@jobs_option("Parallel evaluations (default: all cores). 1 runs in this process.")
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local worker processes, or Dask distributed.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Dask scheduler address (tcp://host:8786); without it --executor dask starts a "
    "local cluster of --jobs workers.",
)
@click.option(
    "--connect-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to try the Dask scheduler.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Evaluate only the first N design points (spec order): a quick subset of a study.",
)
@click.option("--retry-failed", is_flag=True, help="Run the failed stages of earlier runs again.")
@click.option("--prune-cache", is_flag=True, help="Delete cache records this spec no longer uses.")
@progress_option()
@click.pass_context
def sweep(
    ctx: click.Context,
    spec: Path,
    out_dir: Path | None,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    connect_timeout: float,
    limit: int | None,
    retry_failed: bool,
    prune_cache: bool,
    progress: str,
) -> None:
    """Run the sweep described by the TOML file SPEC.

    Every design point runs generate -> lint -> verify -> cost -> energy -> accuracy ->
    workload (the stages the spec enables); each stage result is cached in DIR/cache, so a
    re-run only computes what changed and a killed run resumes. Writes results.csv,
    results.parquet, the Pareto plots and report.html, and prints the best designs. Exits 1
    when some point failed a stage (recorded in results.csv), 2 on bad input.
    """
    from hwgen.sweep.runner import RunOptions, run_sweep
    from hwgen.sweep.spec import load_spec

    opts = RunOptions(
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
        retry_failed=retry_failed,
        prune_cache=prune_cache,
        progress=progress,
        connect_timeout_s=connect_timeout,
        limit=limit,
    )
    parsed = load_spec(spec)
    out = out_dir if out_dir is not None else Path("rtl_out") / f"sweep_{parsed.name}"
    result = run_sweep(parsed, out, opts)
    click.echo(result.summary())
    if result.stats.failed:
        ctx.exit(EXIT_FAILED_POINTS)
