"""``hwgen cost fit``: regenerate the fitted fast cost model's coefficient files."""

from __future__ import annotations

from pathlib import Path

import click

from hwgen.cli.oneline import OneLineCommand

__all__ = ["cost_fit"]


@click.command("fit", cls=OneLineCommand)
@click.option(
    "--target",
    "targets",
    multiple=True,
    help="Target to fit (repeatable): asic | generic | ice40 | ecp5 | xilinx [all five].",
)
@click.option(
    "--points",
    type=int,
    default=None,
    help="Designs synthesized per target (a deterministic sample) [66].",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the fit to FILE (one --target) instead of the package's fits/<target>.json.",
)
@click.option("--jobs", type=int, default=1, show_default=True, help="Synthesis processes.")
@click.option(
    "--timeout",
    "timeout_s",
    type=float,
    default=None,
    help="Seconds one design's measurement may take; slower designs are left out of the fit"
    " and listed in the file's `skipped` [900].",
)
@click.option(
    "--reuse",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Take the measured values of the designs in this fit file (one --target, same tool"
    " versions) instead of measuring them again.",
)
@click.option(
    "--refit",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Fit this fit file's stored measurements again with the current formulas (one"
    " --target; nothing is measured; its designs, split, tool versions and command are"
    " kept).",
)
def cost_fit(
    targets: tuple[str, ...],
    points: int | None,
    out: Path | None,
    jobs: int,
    timeout_s: float | None,
    reuse: Path | None,
    refit: Path | None,
) -> None:
    """Synthesize a design sample, fit the block coefficients, write the fit file(s).

    The sample (MACs over INT / minifloat pairs, float and narrow accumulators, pipeline
    stages; arrays; BitMoD PEs) and the held-out share (25 % of each family) are fixed, so
    the same command gives the same file; results come from the cost cache when present.
    Each metric's terms are chosen by cross-validation on the training designs; the
    held-out designs are predicted once, for the stated error. The validation designs
    (outside the sample, about half as many again) are measured too and predicted blind
    by the finished fit, for a second, independent error figure.
    """
    from hwgen._validate import check_int
    from hwgen.costmodel.fast.fit import DEFAULT_POINTS, DEFAULT_TIMEOUT_S, FIT_METRICS, run_fit
    from hwgen.costmodel.fast.model import load_fit

    check_int("jobs", jobs, 1, 64)
    chosen = list(targets) or [t.value for t in FIT_METRICS]
    if refit is not None:
        paths = [_refit(chosen, refit, out, points=points, timeout_s=timeout_s, reuse=reuse)]
    else:
        paths = run_fit(
            chosen,
            points=DEFAULT_POINTS if points is None else points,
            out=out,
            jobs=jobs,
            progress=lambda line: click.echo(line, err=True),
            timeout_s=DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s,
            reuse=reuse,
        )
    for path in paths:
        data = load_fit(chosen[paths.index(path)], path).data
        click.echo(f"wrote {path} (fit {data['fit_id']})")
        for field, m in data["metrics"].items():
            e = m["held_out"]["all"]
            cv = m.get("selection", {}).get("cv_mape_pct")
            click.echo(
                f"  {field:<26} held-out MAPE {e['mape_pct']} %  max {e['max_error_pct']} %"
                f"  Spearman {e['spearman']}  ({e['points']} held out, {m['train_points']}"
                f" fitted; CV MAPE {cv} %, {len(m['coefficients'])} terms)"
            )
            v = m.get("validation", {}).get("all")
            if v and v["points"]:
                click.echo(
                    f"  {'':<26} validation MAPE {v['mape_pct']} %  max {v['max_error_pct']} %"
                    f"  Spearman {v['spearman']}  ({v['points']} designs outside the sample)"
                )
        for sk in data.get("skipped", []):
            click.echo(f"  left out {sk['design']}: {sk['reason']}")


def _refit(
    targets: list[str],
    source: Path,
    out: Path | None,
    *,
    points: int | None,
    timeout_s: float | None,
    reuse: Path | None,
) -> Path:
    """``--refit``: one target, and none of the options that choose what to measure."""
    from hwgen.costmodel.fast.fit import refit
    from hwgen.errors import HwgenError

    if len(targets) != 1:
        raise HwgenError(f"--refit FILE needs exactly one --target, not {len(targets)}")
    for name, value in (("--points", points), ("--timeout", timeout_s), ("--reuse", reuse)):
        if value is not None:
            raise HwgenError(f"--refit FILE takes the file's designs; {name} does not apply")
    return refit(targets[0], source, out=out)
