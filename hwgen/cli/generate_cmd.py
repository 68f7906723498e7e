"""``hwgen generate``: write the Verilog, filelist and manifest of a MAC unit or PE array.

::

    hwgen generate mac --a-format fp8_e4m3 --w-format int8 [--stages 1] [--out DIR]
    hwgen generate array --rows 4 --cols 4 --a-format fp8_e4m3 --w-format int8 [--out DIR]
    hwgen generate --spec design.toml [--out DIR]

One subcommand per design family of :mod:`hwgen.design.families`; its options are the
config's :meth:`~hwgen.design.base.DesignConfig.options` (``--acc-bits`` -> ``acc_bits``);
options left out take the config's own defaults. The default output directory is
``rtl_out/<name>/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hwgen.design.base import DesignConfig, OptionSpec
from hwgen.design.families import Family, families
from hwgen.design.spec import load_design
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError

DEFAULT_ROOT = Path("rtl_out")
"""Parent of the default output directory ``rtl_out/<name>/``."""


FORCE_HELP = (
    "Replace an output directory that holds a different design (the same design is "
    "always regenerated in place)."
)


def default_out_dir(config: DesignConfig) -> Path:
    """``rtl_out/<name>`` relative to the working directory."""
    return DEFAULT_ROOT / config.name


def summary(manifest: Manifest, out_dir: Path) -> str:
    """A short human-readable account of a generated design (ends with a newline)."""
    acc = manifest.accumulator
    if acc.format is None:
        acc_text = (
            f"{acc.bits} bits x 2^{acc.lsb_exp}, overflow {acc.overflow}, max_terms {acc.max_terms}"
        )
        if acc.rounding is not None:
            acc_text += f", products rounded to 2^{acc.lsb_exp} ({acc.rounding})"
    else:
        acc_text = f"float {acc.format}, {acc.rounding}, subnormals {acc.subnormals}"
    lines = [
        f"wrote {out_dir}/",
        f"  top:         {manifest.top}",
        f"  kind:        {manifest.kind}",
        f"  latency:     {manifest.latency} cycle(s)",
        f"  accumulator: {acc_text}",
    ]
    if manifest.array is not None:
        lines.append(f"  array:       {manifest.array.rows} x {manifest.array.cols}")
    if manifest.output is not None:
        lines.append(f"  output:      {manifest.output.format} ({manifest.output.rounding})")
    lines.append(
        f"  files:       {', '.join((*manifest.verilog, manifest.filelist, 'manifest.json'))}"
    )
    return "\n".join(lines) + "\n"


def _generate(config: DesignConfig, out: Path | None, force: bool) -> None:
    from hwgen.emit import emit

    out_dir = out if out is not None else default_out_dir(config)
    manifest = emit(config, out_dir, force=force)
    click.echo(summary(manifest, out_dir), nl=False)


def _click_option(spec: OptionSpec) -> click.Option:
    kind: Any = click.Choice(list(spec.choices)) if spec.choices else spec.type
    return click.Option(
        [f"--{spec.key.replace('_', '-')}", spec.key],
        type=kind,
        required=spec.required,
        default=None,
        help=spec.help,
    )


def _given(**kwargs: Any) -> dict[str, Any]:
    """Only the options the user set, so the config's defaults stay the only defaults."""
    return {k: v for k, v in kwargs.items() if v is not None}


@click.group(name="generate", invoke_without_command=True)
@click.option(
    "--spec",
    type=click.Path(path_type=Path),
    default=None,
    help="TOML design spec ([design] kind = mac | array, keys as the options).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output directory for --spec [rtl_out/<name>].",
)
@click.option("--force", is_flag=True, help=FORCE_HELP)
@click.pass_context
def generate(ctx: click.Context, spec: Path | None, out: Path | None, force: bool) -> None:
    """Generate Verilog + filelist + manifest.json for a MAC unit or a PE array."""
    if ctx.invoked_subcommand is not None:
        if spec is not None or out is not None or force:
            raise HwgenError(
                f"--spec/--out/--force before a subcommand are not allowed with "
                f"'generate {ctx.invoked_subcommand}'; put them after the subcommand"
            )
        return
    if spec is None:
        kinds = ", ".join(command_name(f.kind) for f in families())
        raise click.UsageError(f"give --spec FILE or a subcommand: {kinds}", ctx=ctx)
    _generate(load_design(spec), out, force)


def command_name(kind: str) -> str:
    """The subcommand of a kind: ``bitmod_pe`` -> ``bitmod-pe`` (click's dashed style)."""
    return kind.replace("_", "-")


def _family_command(fam: Family, *, name: str, hidden: bool = False) -> click.Command:
    """``hwgen generate <kind>``: one option per config key of the family (from the table)."""

    def callback(out: Path | None, force: bool, **options: Any) -> None:
        _generate(fam.config.from_dict(_given(**options)), out, force)

    params: list[click.Parameter] = [_click_option(o) for o in fam.config.options()]
    params.append(
        click.Option(
            ["--out"],
            type=click.Path(path_type=Path),
            default=None,
            help="Output directory [rtl_out/<name>].",
        )
    )
    params.append(click.Option(["--force"], is_flag=True, help=FORCE_HELP))
    return click.Command(
        name=name, callback=callback, params=params, help=fam.summary, hidden=hidden
    )


for _family in families():
    generate.add_command(_family_command(_family, name=command_name(_family.kind)))
    if command_name(_family.kind) != _family.kind:  # the kind's own spelling works too
        generate.add_command(_family_command(_family, name=_family.kind, hidden=True))
