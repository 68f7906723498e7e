"""``hwgen cost``: area, timing and energy of a generated design from real flows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from hwgen.cli.cost_fit_cmd import cost_fit
from hwgen.cli.options import model_option

__all__ = ["cost"]

_TARGETS = ("asic", "generic", "ice40", "ecp5", "xilinx")
_UNITS = {
    "area_um2": "um2",
    "combinational_area_um2": "um2",
    "sequential_area_um2": "um2",
    "critical_path_ns": "ns",
    "fmax_mhz": "MHz",
    "preroute_critical_path_ns": "ns",
    "preroute_fmax_mhz": "MHz",
    "energy_pj_per_mac": "pJ",
    "energy_internal_pj_per_mac": "pJ",
    "energy_switching_pj_per_mac": "pJ",
    "energy_leakage_pj_per_mac": "pJ",
    "power_mw": "mW",
    "opensta_power_mw": "mW",
    "opensta_internal_mw": "mW",
    "opensta_switching_mw": "mW",
    "opensta_leakage_mw": "mW",
    "clock_mhz": "MHz",
    "table_energy_pj_per_mac": "pJ",
    "table_area_um2": "um2",
}


class _CostCommand(click.Command):
    """``hwgen cost DIR`` that also dispatches ``hwgen cost fit ...`` to its subcommand."""

    subcommands: dict[str, click.Command] = {"fit": cost_fit}  # noqa: RUF012

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Hand ``fit ...`` to :func:`cost_fit` (the ``hwgen`` group invokes its context)."""
        if args and args[0] in self.subcommands:
            sub = self.subcommands[args[0]]
            return sub.make_context(f"{info_name} {args[0]}", args[1:], parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)


@click.command("cost", cls=_CostCommand)
@click.argument("design_dir", type=click.Path(path_type=Path), required=False)
@click.option(
    "--target",
    default="asic",
    show_default=True,
    help="asic | generic | ice40 | ecp5 | xilinx.",
)
@click.option(
    "--liberty",
    type=click.Path(path_type=Path),
    default=None,
    help="Liberty file (.lib or .lib.gz) for --target asic [hwgen's embedded sky130 subset].",
)
@click.option(
    "--cell-models",
    type=click.Path(path_type=Path),
    default=None,
    help="Verilog models of the --liberty cells (for --activity).",
)
@click.option("--no-dsp", is_flag=True, help="FPGA targets: no DSP blocks (LUT logic only).")
@click.option(
    "--pnr",
    is_flag=True,
    help="ice40/ecp5: place and route with nextpnr (median fmax of 3 seeds).",
)
@click.option(
    "--activity",
    default=None,
    help="Energy from a simulated operand stream: gaussian|uniform|laplace[:zeros=F] or a "
    "tensor file (.npy/.npz/.safetensors).",
)
@click.option("--clock-mhz", type=float, default=100.0, show_default=True)
@click.option("--macs", type=int, default=2000, show_default=True, help="MACs simulated.")
@click.option("--seed", type=int, default=0, show_default=True, help="Operand-stream seed.")
@click.option("--no-cache", is_flag=True, help="Recompute even when a cached result exists.")
@click.option("--clear-cache", is_flag=True, help="Empty the cost cache (DIR not needed).")
@model_option(
    "synth: run the flow; fitted: the fast model fitted to synthesized designs "
    "(`hwgen cost fit`), with its held-out error."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object on stdout.")
def cost(
    design_dir: Path | None,
    target: str,
    liberty: Path | None,
    cell_models: Path | None,
    no_dsp: bool,
    pnr: bool,
    activity: str | None,
    clock_mhz: float,
    macs: int,
    seed: int,
    no_cache: bool,
    clear_cache: bool,
    model: str,
    as_json: bool,
) -> None:
    """Price DESIGN_DIR (a generated design) on a target, every number with its source.

    `hwgen cost fit [--target T] [--points N] [--out FILE]` regenerates the fitted model.
    """
    from hwgen.costmodel import cache
    from hwgen.costmodel.cost import CostOptions, Target, estimate_cost
    from hwgen.errors import HwgenError

    if clear_cache:
        n = cache.clear()
        click.echo(f"removed {n} cached cost result(s) from {cache.cache_root()}")
        if design_dir is None:
            return
    if design_dir is None:
        raise HwgenError("missing DESIGN_DIR (a generated design directory)")
    if target not in _TARGETS:
        raise HwgenError(f"target must be one of {', '.join(_TARGETS)}, not {target!r}")
    if model == "fitted":
        _fitted(design_dir, target, as_json, liberty=liberty, activity=activity, pnr=pnr)
        return
    opts = CostOptions(
        target=Target(target),
        liberty=liberty,
        cell_models=cell_models,
        dsp=not no_dsp if target not in ("asic", "generic") else True,
        pnr=pnr,
        activity=activity,
        clock_mhz=clock_mhz,
        macs=macs,
        seed=seed,
    )
    if no_dsp and target in ("asic", "generic"):
        raise HwgenError(f"--no-dsp applies to FPGA targets, not {target}")
    report = estimate_cost(design_dir, opts, use_cache=not no_cache)
    if as_json:
        click.echo(json.dumps(report.to_dict(), sort_keys=True))
        return
    values = report.values()
    click.echo(f"design   {report.top} ({report.target})")
    _echo_values(values, skip=("cell_counts",), sources=report.sources)
    if "table_energy_pj_per_mac" in values:
        click.echo("(table_* rows: Horowitz/Dally per-operation table, a second opinion)")


def _fitted(
    design_dir: Path,
    target: str,
    as_json: bool,
    *,
    liberty: Path | None,
    activity: str | None,
    pnr: bool,
) -> None:
    from hwgen.costmodel.fast.model import estimate_fitted
    from hwgen.errors import HwgenError

    for flag, given in (("--liberty", liberty), ("--activity", activity), ("--pnr", pnr or None)):
        if given is not None:
            raise HwgenError(
                f"{flag} does not apply to --model fitted (the model was fitted on the"
                " embedded library, a gaussian operand stream and no place and route)"
            )
    report = estimate_fitted(design_dir, target)
    if as_json:
        click.echo(json.dumps(report.to_dict(), sort_keys=True))
        return
    click.echo(f"design   {report.top} ({report.target}, fitted model)")
    _echo_values(report.values(), skip=("model_error",))
    from hwgen.costmodel.fast.fidelity import fidelity_line

    click.echo(fidelity_line(report.model_error or {}, next(iter(report.sources.values())).flow))


def _echo_values(
    values: Mapping[str, Any], *, skip: tuple[str, ...], sources: Mapping[str, Any] | None = None
) -> None:
    """One line per value: name, number, unit and (with ``sources``) the tool it came from.

    The report's identity (top, target, directory, RTL digest) is in the header line, not
    repeated here; ``skip`` names the further keys the caller leaves out.
    """
    for k, v in values.items():
        if k in ("top", "target", "design_dir", "rtl_sha256", *skip):
            continue
        unit = _UNITS.get(k, "")
        text = f"{v:,.4g}" if isinstance(v, float) else str(v)
        src = sources.get(k) if sources is not None else None
        tool = f"  [{src.tool}]" if src is not None else ""
        click.echo(f"{k:<28} {text} {unit}".rstrip() + tool)
