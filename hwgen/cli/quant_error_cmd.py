"""``hwgen quant-error``: rank weight formats by relative quantization error and SQNR."""

from __future__ import annotations

import json
import math
import sys

import click

from hwgen.cli.oneline import OneLineCommand
from hwgen.cli.output import Cell, echo_table
from hwgen.errors import HwgenError
from hwgen.quant.synthetic import Dist

SUMMARY_HEADERS = ("format", "bits", "bits_per_weight", "scheme", "rel_mse", "sqnr_db")
PER_TENSOR_HEADERS = ("format", "bits", "bits_per_weight", "tensor", "rel_mse", "sqnr_db")
SCHEMES = ("auto", "absmax", "mx", "bitmod")
JSON_SCHEMA = "hwgen.quant-error/1"


def parse_entries(spec: str, scheme: str, group_size: int | None) -> list:
    """``--formats`` entries: ``NAME`` or ``SCHEME:NAME``, comma-separated.

    A ``SCHEME:`` prefix overrides ``--scheme`` for that entry; ``auto`` is BitMoD
    selection for mixtures and absmax groups otherwise.
    """
    from hwgen.quant.error import make_entry

    parts = [p.strip() for p in spec.split(",")]
    if not any(parts):
        raise HwgenError(f"--formats needs at least one format name, not {spec!r}")
    if not all(parts):
        raise HwgenError(f"--formats has an empty name in {spec!r}")
    entries = []
    for part in parts:
        sch, _, name = part.rpartition(":")
        sch = sch.strip().lower() or scheme
        if sch not in SCHEMES:
            raise HwgenError(
                f"--formats entry {part!r}: scheme must be one of {', '.join(SCHEMES)}, not {sch!r}"
            )
        entries.append(make_entry(name.strip(), None if sch == "auto" else sch, group_size))
    return entries


def _cells(rows: list[dict[str, object]], headers: tuple[str, ...], *, as_csv: bool):
    out: list[list[Cell]] = []
    for rec in rows:
        row: list[Cell] = []
        for h in headers:
            v = rec[h]
            if isinstance(v, float) and not as_csv:
                v = {"rel_mse": f"{v:.4e}", "sqnr_db": f"{v:.2f}"}.get(h, f"{v:.4f}")
            row.append(v)  # type: ignore[arg-type]
        out.append(row)
    return out


def _json_text(doc: dict[str, object]) -> str:
    def clean(v: object) -> object:
        if isinstance(v, float) and not math.isfinite(v):
            raise AssertionError(f"non-finite number {v} in the JSON report")
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(doc), indent=2, allow_nan=False) + "\n"


@click.command("quant-error", cls=OneLineCommand)
@click.option(
    "--weights",
    type=str,
    default=None,
    metavar="FILE",
    help="Weights (.npy, .npz, .safetensors incl. bf16/fp8); synthetic tensors when absent."
    " Read one tensor chunk at a time.",
)
@click.option(
    "--formats",
    "formats_spec",
    required=True,
    metavar="A,B,...",
    help="Comma-separated format names, each optionally SCHEME:NAME,"
    " e.g. int4,mx:fp4_e2m1,bitmod_fp4.",
)
@click.option(
    "--scheme",
    type=click.Choice(SCHEMES),
    default="auto",
    show_default=True,
    help="Scaling scheme of entries without a SCHEME: prefix (auto: bitmod for mixtures,"
    " absmax otherwise).",
)
@click.option(
    "--group-size",
    type=int,
    default=None,
    help="Group (MX: block) size.  [default: 128; 32 for mx]",
)
@click.option("--match", default=None, metavar="REGEX", help="Only tensors whose name matches.")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV instead of a table.")
@click.option("--json", "as_json", is_flag=True, help="Write one JSON document.")
@click.option("--per-tensor", is_flag=True, help="One row per format and tensor.")
@click.option(
    "--dist",
    type=click.Choice([d.value for d in Dist]),
    default=Dist.GAUSSIAN.value,
    show_default=True,
    help="Synthetic distribution (without --weights).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Synthetic seed.")
@click.option(
    "--jobs",
    type=int,
    default=None,
    help="Worker processes.  [default: every core]",
)
def quant_error(
    weights: str | None,
    formats_spec: str,
    scheme: str,
    group_size: int | None,
    match: str | None,
    as_csv: bool,
    as_json: bool,
    per_tensor: bool,
    dist: str,
    seed: int,
    jobs: int | None,
) -> None:
    """Rank formats by the relative MSE (and SQNR) they give weight tensors.

    Every floating tensor with >= 2 dimensions is cut into groups along its last
    dimension. absmax: scale = group absmax / the largest magnitude the format reaches on
    both signs (exact float scales, FP16 storage counted). bitmod (mixtures): a variant per
    group by MSE, group scales as INT8 codes against a per-output-channel float scale, a
    2-bit selector. mx (OCP MX element formats): E8M0 shared exponent per block of 32; a
    row whose block exponents leave E8M0's 2**-127..2**127 gets a power-of-two
    per-row scale first. No scale is clamped, so the error does not depend on the weights'
    magnitude (mx: for power-of-two factors). rel_mse is the mean over tensors of
    ||W - Q(W)||^2 / ||W||^2, best format first; all-zero tensors are reported, not scored.
    """
    from hwgen.quant.error import QuantErrorReport, default_jobs, measure, select_sources
    from hwgen.quant.tensors import memory_sources, open_weights

    if as_csv and as_json:
        raise HwgenError("--csv and --json exclude each other: choose one")
    if group_size is not None and group_size < 1:
        raise HwgenError(f"--group-size must be >= 1, not {group_size}")
    if jobs is None:
        jobs = default_jobs()
    elif jobs < 1:
        raise HwgenError(f"--jobs must be >= 1, not {jobs}")
    entries = parse_entries(formats_spec, scheme, group_size)
    if weights is not None:
        sources = open_weights(weights)
    else:
        from hwgen.quant.synthetic import synthetic_tensors

        sources = memory_sources(synthetic_tensors(dist, seed=seed))
    lcm = math.lcm(*(e.group_size for e in entries))
    selected, skipped = select_sources(sources, group_size=lcm, match=match)
    from hwgen.quant.error import Progress

    total = sum(s.size for s in selected)
    # The bar is for people watching a terminal; it goes to stderr, never into the output.
    with Progress(total, enabled=not (as_csv or as_json) and sys.stderr.isatty()) as bar:
        report: QuantErrorReport = measure(
            selected, entries, jobs=jobs, skipped=skipped, progress=bar.advance
        )
    if as_json:
        doc = report.to_json()
        source: dict[str, object] = (
            {"kind": "file", "path": weights}
            if weights is not None
            else {"kind": "synthetic", "dist": dist, "seed": seed}
        )
        click.echo(_json_text({"schema": JSON_SCHEMA, "source": source, **doc}), nl=False)
        return
    for name in report.all_zero:
        click.echo(f"hwgen: note: tensor {name!r} is all zero: not scored", err=True)
    bits = {r.entry: (r.entry.fmt.bits, r.entry.bits_per_weight) for r in report.formats}
    if per_tensor:
        rows = [
            {
                "format": r.entry.fmt.name,
                "bits": bits[r.entry][0],
                "bits_per_weight": bits[r.entry][1],
                "tensor": r.tensor,
                "rel_mse": r.rel_mse,
                "sqnr_db": r.sqnr_db,
            }
            for r in report.tensors
        ]
        echo_table(
            PER_TENSOR_HEADERS, _cells(rows, PER_TENSOR_HEADERS, as_csv=as_csv), as_csv=as_csv
        )
        return
    rows = [
        {
            "format": r.entry.fmt.name,
            "bits": r.entry.fmt.bits,
            "bits_per_weight": r.entry.bits_per_weight,
            "scheme": r.entry.scheme.value,
            "rel_mse": r.rel_mse,
            "sqnr_db": r.sqnr_db,
        }
        for r in report.formats
    ]
    echo_table(SUMMARY_HEADERS, _cells(rows, SUMMARY_HEADERS, as_csv=as_csv), as_csv=as_csv)
