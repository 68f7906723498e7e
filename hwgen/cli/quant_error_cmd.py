"""``hwgen quant-error``: rank weight formats by relative quantization error and SQNR."""

from __future__ import annotations

import sys

import click
import pandas as pd

from hwgen.cli.output import Cell, echo_table
from hwgen.errors import HwgenError
from hwgen.formats import Format, MixtureFormat, get
from hwgen.quant_error import Dist, load_tensors, rank_formats, select_tensors, synthetic_tensors

SUMMARY_HEADERS = ("format", "bits", "bits_per_weight", "scheme", "rel_mse", "sqnr_db")
PER_TENSOR_HEADERS = ("format", "bits", "bits_per_weight", "tensor", "rel_mse", "sqnr_db")


def parse_formats(spec: str) -> list[Format | MixtureFormat]:
    """Resolve a comma-separated list of registry names (unknown names: the registry's error)."""
    parts = [p.strip() for p in spec.split(",")]
    if not any(parts):
        raise HwgenError(f"--formats needs at least one format name, not {spec!r}")
    if not all(parts):
        raise HwgenError(f"--formats has an empty name in {spec!r}")
    return [get(p) for p in parts]


def _rows(frame: pd.DataFrame, headers: tuple[str, ...], *, as_csv: bool) -> list[list[Cell]]:
    """Cells of ``frame``: full precision for CSV, rounded for the human-readable table."""
    rows: list[list[Cell]] = []
    for rec in frame.to_dict("records"):
        row: list[Cell] = []
        for h in headers:
            v = rec[h]
            if isinstance(v, float) and not as_csv:
                v = {"rel_mse": f"{v:.4e}", "sqnr_db": f"{v:.2f}"}.get(h, f"{v:.4f}")
            elif hasattr(v, "item"):
                v = v.item()  # numpy scalar -> Python int / float
            row.append(v)
        rows.append(row)
    return rows


@click.command("quant-error")
@click.option(
    "--weights",
    type=str,
    default=None,
    metavar="FILE",
    help="Weights (.npy, .npz, .safetensors); synthetic tensors when absent.",
)
@click.option(
    "--formats",
    "formats_spec",
    required=True,
    metavar="A,B,...",
    help="Comma-separated format names, e.g. int4,fp4_e2m1,bitmod_fp4.",
)
@click.option("--group-size", type=int, default=128, show_default=True, help="Group size.")
@click.option("--match", default=None, metavar="REGEX", help="Only tensors whose name matches.")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV instead of a table.")
@click.option("--per-tensor", is_flag=True, help="One row per format and tensor.")
@click.option(
    "--dist",
    type=click.Choice([d.value for d in Dist]),
    default=Dist.GAUSSIAN.value,
    show_default=True,
    help="Synthetic distribution (without --weights).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Synthetic seed.")
def quant_error(
    weights: str | None,
    formats_spec: str,
    group_size: int,
    match: str | None,
    as_csv: bool,
    per_tensor: bool,
    dist: str,
    seed: int,
) -> None:
    """Rank formats by the relative MSE (and SQNR) they give weight tensors.

    Every floating tensor with >= 2 dimensions is cut into groups of --group-size along its
    last dimension. Plain formats use absmax scales (absmax / the largest magnitude the
    format reaches on both signs, so nothing clips; FP16 scale storage counted); BitMoD
    mixtures choose a variant per group by MSE with INT8 group scales and a 2-bit selector.
    rel_mse is the mean over tensors of ||W - Q(W)||^2 / ||W||^2; best format first.
    """
    fmts = parse_formats(formats_spec)
    if group_size < 1:
        raise HwgenError(f"--group-size must be >= 1, not {group_size}")
    if weights is not None:
        tensors = load_tensors(weights)
    else:
        tensors = synthetic_tensors(dist, seed=seed)
    selected = select_tensors(tensors, group_size=group_size, match=match)
    # The bar is for people watching a terminal; it goes to stderr, never into the table.
    progress = not as_csv and sys.stderr.isatty()
    summary, detail = rank_formats(
        selected, fmts, group_size=group_size, per_tensor=True, progress=progress
    )
    if per_tensor:
        detail = detail.merge(summary[["format", "bits", "bits_per_weight"]], on="format")
        echo_table(
            PER_TENSOR_HEADERS, _rows(detail, PER_TENSOR_HEADERS, as_csv=as_csv), as_csv=as_csv
        )
    else:
        echo_table(SUMMARY_HEADERS, _rows(summary, SUMMARY_HEADERS, as_csv=as_csv), as_csv=as_csv)
