"""``hwgen rank``: rank designs by cost, workload metrics and GEMM accuracy, best first."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import click

from hwgen.cli.options import model_option

__all__ = ["rank"]

_TEXT_COLUMNS = (
    "rank",
    "design",
    "family",
    "a_format",
    "w_format",
    "area_um2",
    "luts",
    "transistors",
    "energy_pj_per_mac",
    "fmax_mhz",
    "throughput_per_area",
    "workload_energy_uj",
    "workload_time_ms",
    "rel_mse",
    "sqnr_db",
    "pareto_area",
    "pareto_energy",
)


def _load_designs(
    dirs: tuple[Path, ...], specs: tuple[Path, ...]
) -> list[tuple[Any, Path | None, str | None]]:
    import tomllib

    from hwgen.design.spec import load_design
    from hwgen.errors import HwgenError, os_errors

    out: list[tuple[Any, Path | None, str | None]] = []
    for d in dirs:
        from hwgen.costmodel.cost import _load_manifest

        man = _load_manifest(d.resolve())
        out.append((man.design(), d.resolve(), None))
    for s in specs:
        with os_errors("read", s):
            text = s.read_bytes()
        try:
            doc = tomllib.loads(text.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise HwgenError(f"{s}: not a TOML file ({' '.join(str(e).split())})") from None
        if "design" in doc:
            out.append((load_design(s), None, None))
            continue
        from hwgen.sweep.points import expand
        from hwgen.sweep.spec import load_spec

        points, _skipped = expand(load_spec(s))
        # A BitMoD point names the weight format its PE serves (one PE, several formats).
        out.extend(
            (p.build(), None, p.operands[1] if "a_format" not in p.config else None) for p in points
        )
    return out


def _array(text: str) -> tuple[int, int]:
    from hwgen.errors import HwgenError

    m = re.fullmatch(r"(\d+)x(\d+)", text.strip())
    if m is None or 0 in (int(m[1]), int(m[2])):
        raise HwgenError(f"--array must be RxC with R, C >= 1 (e.g. 32x32), not {text!r}")
    return int(m[1]), int(m[2])


def _weights(text: str | None) -> Path | str | None:
    """A name without a file suffix is a distribution (:class:`RankOptions` checks it)."""
    if text is None or not Path(text).suffix:
        return text
    return Path(text)


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _plain(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    return v


@click.command("rank")
@click.argument("design_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--spec",
    "specs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A design spec (one [design]) or a sweep spec (its points); repeatable.",
)
@click.option(
    "--weights",
    default=None,
    help="Weight file (.npy/.npz/.safetensors) or a distribution of synthetic W[512,128]:"
    " gaussian | laplace | student-t  [student-t].",
)
@click.option(
    "--activations",
    default="gaussian",
    show_default=True,
    help="Activation file A[M,K] (.npy, .npz, FILE.npz:ARRAY) or a distribution: gaussian |"
    " laplace | student-t | student-t-outliers.",
)
@click.option(
    "--act-scaling",
    default="per-token",
    show_default=True,
    help="How activations are scaled before rounding: per-token | per-tensor | per-group |"
    " mx | none.",
)
@click.option(
    "--workload",
    default="bert-base",
    show_default=True,
    help="Preset (bert-base, minilm-l6, llama2-7b-prefill, llama2-7b-decode; "
    "NAME:LENGTH) or shapes MxKxN[,MxKxN...].",
)
@click.option(
    "--target",
    default="asic",
    show_default=True,
    help="asic | generic | ice40 | ecp5 | xilinx.",
)
@model_option("Costs from synthesis or from the fitted fast model.")
@click.option(
    "--array",
    "array",
    default="32x32",
    show_default=True,
    help="RxC array a single MAC / PE runs the workload as.",
)
@click.option(
    "--clock-mhz",
    type=float,
    default=None,
    help="Clock for time and throughput [the design's fmax].",
)
@click.option(
    "--group-size",
    type=int,
    default=128,
    show_default=True,
    help="Weight group size of MAC designs (scales and accuracy).",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the table (text, --csv or --json) to FILE, all or nothing, instead of stdout.",
)
@click.option("--csv", "as_csv", is_flag=True, help="CSV with every column.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: rows and model error.")
def rank(
    design_dirs: tuple[Path, ...],
    specs: tuple[Path, ...],
    weights: str | None,
    activations: str,
    act_scaling: str,
    workload: str,
    target: str,
    model: str,
    array: str,
    clock_mhz: float | None,
    group_size: int,
    out_file: Path | None,
    as_csv: bool,
    as_json: bool,
) -> None:
    """Rank designs (DIR... or --spec FILE), best first.

    Order: designs on both Pareto fronts (GEMM rel_mse vs area, vs energy per MAC), then on
    one, then the rest; within each by rel_mse, then size. Each cost has a source column.
    """
    from hwgen._validate import check_int
    from hwgen.costmodel.fast.fidelity import fidelity_line
    from hwgen.errors import HwgenError
    from hwgen.sweep.rank import ORDERING, RANK_COLUMNS, RankOptions, rank_designs

    if as_csv and as_json:
        raise HwgenError("--csv and --json exclude each other; choose one")
    if out_file is not None:
        _probe(out_file)
    check_int("group_size", group_size, 1)
    opts = RankOptions(
        target=target,
        model=model,
        workload=workload,
        weights=_weights(weights),
        activations=activations,
        act_scaling=act_scaling,
        group_size=group_size,
        array=_array(array),
        clock_mhz=clock_mhz,
    )
    designs = _load_designs(design_dirs, specs)
    frame = rank_designs(designs, opts)
    err = frame.attrs.get("model_error")
    if as_json:
        rows = [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict(orient="records")]
        out: dict[str, Any] = {"ordering": ORDERING, "rows": rows}
        if err is not None:
            out["model_error"] = err
            out["source"] = frame.attrs["model"]
        _emit(json.dumps(out, sort_keys=True) + "\n", out_file)
        return
    if err is not None:
        click.echo(fidelity_line(err, frame.attrs["model"]), err=True)
    if as_csv:
        _emit(frame.reindex(columns=list(RANK_COLUMNS)).to_csv(index=False), out_file)
        return
    from hwgen.cli.output import render_table

    cols = [c for c in _TEXT_COLUMNS if c in frame and frame[c].notna().any()]
    rows_txt = [[_cell(frame[c].iloc[i]) for c in cols] for i in range(len(frame))]
    text = render_table(cols, rows_txt)
    tail = f"workload {frame['workload'].iloc[0]}; sources per cost: --csv or --json\n"
    _emit(text + tail, out_file)


def _probe(out_file: Path) -> None:
    """Refuse an ``--out`` the OS will not let us write, before any work is done.

    Nothing is created: a temporary file in the nearest existing ancestor shows whether
    the file system takes writes there (read-only, no permission, ``/proc``, a path under
    a regular file all fail here with the OS's reason).
    """
    import tempfile

    from hwgen.errors import HwgenError, os_errors

    if out_file.is_dir():
        raise HwgenError(f"--out {str(out_file)!r} is a directory, not a file")
    with os_errors("write", out_file):
        anchor = out_file.absolute().parent
        while not anchor.exists():
            anchor = anchor.parent
        if not anchor.is_dir():
            # What the OS says when asked to create a file under a regular file.
            raise NotADirectoryError(20, "Not a directory", str(out_file))
        with tempfile.TemporaryFile(dir=anchor, prefix=".hwgen-probe-"):
            pass


def _emit(text: str, out_file: Path | None) -> None:
    """``text`` on stdout, or into ``out_file`` whole (absent or complete, never partial)."""
    if out_file is None:
        click.echo(text, nl=False)
        return
    from hwgen.errors import os_errors
    from hwgen.sweep.cache import atomic_write

    with os_errors("write", out_file):
        atomic_write(out_file, text)
    click.echo(f"wrote {out_file}", err=True)
