"""``hwgen generate``: write the Verilog, filelist and manifest of a MAC unit or PE array.

::

    hwgen generate mac --a-format fp8_e4m3 --w-format int8 [--stages 1] [--out DIR]
    hwgen generate array --rows 4 --cols 4 --a-format fp8_e4m3 --w-format int8 [--out DIR]
    hwgen generate --spec design.toml [--out DIR]

Options map one to one onto the config fields (``--acc-bits`` -> ``acc_bits``); options left
out take the config's own defaults. The default output directory is ``rtl_out/<name>/``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from hwgen.design import load_design
from hwgen.errors import HwgenError
from hwgen.golden import Multiplier, Overflow
from hwgen.manifest import Manifest
from hwgen.rtl.array import ArrayConfig
from hwgen.rtl.config import MacConfig

DEFAULT_ROOT = Path("rtl_out")
"""Parent of the default output directory ``rtl_out/<name>/``."""


def default_out_dir(config: MacConfig | ArrayConfig) -> Path:
    """``rtl_out/<name>`` relative to the working directory."""
    return DEFAULT_ROOT / config.name


def summary(manifest: Manifest, out_dir: Path) -> str:
    """A short human-readable account of a generated design (ends with a newline)."""
    acc = manifest.accumulator
    lines = [
        f"wrote {out_dir}/",
        f"  top:         {manifest.top}",
        f"  kind:        {manifest.kind}",
        f"  latency:     {manifest.latency} cycle(s)",
        f"  accumulator: {acc.bits} bits x 2^{acc.lsb_exp}, overflow {acc.overflow}, "
        f"max_terms {acc.max_terms}",
    ]
    if manifest.array is not None:
        lines.append(f"  array:       {manifest.array.rows} x {manifest.array.cols}")
    if manifest.output is not None:
        lines.append(f"  output:      {manifest.output.format} ({manifest.output.rounding})")
    lines.append(
        f"  files:       {', '.join((*manifest.verilog, manifest.filelist, 'manifest.json'))}"
    )
    return "\n".join(lines) + "\n"


def _generate(config: MacConfig | ArrayConfig, out: Path | None) -> None:
    from hwgen.emit import emit

    out_dir = out if out is not None else default_out_dir(config)
    manifest = emit(config, out_dir)
    click.echo(summary(manifest, out_dir), nl=False)


def _mac_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options shared by ``generate mac`` and ``generate array``."""
    options = [
        click.option("--a-format", "a_format", required=True, help="Activation format name."),
        click.option("--w-format", "w_format", required=True, help="Weight format name."),
        click.option("--acc-bits", type=int, default=None, help="Accumulator width [exact]."),
        click.option("--max-terms", type=int, default=None, help="Longest dot product [4096]."),
        click.option("--stages", type=int, default=None, help="Pipeline registers [0]."),
        click.option(
            "--overflow",
            type=click.Choice([str(o) for o in Overflow]),
            default=None,
            help="Accumulator overflow policy [exact].",
        ),
        click.option(
            "--multiplier",
            type=click.Choice([str(x) for x in Multiplier]),
            default=None,
            help="Exact or L-Mul products [exact].",
        ),
        click.option(
            "--out",
            type=click.Path(path_type=Path),
            default=None,
            help="Output directory [rtl_out/<name>].",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


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
@click.pass_context
def generate(ctx: click.Context, spec: Path | None, out: Path | None) -> None:
    """Generate Verilog + filelist + manifest.json for a MAC unit or a PE array."""
    if ctx.invoked_subcommand is not None:
        if spec is not None or out is not None:
            raise HwgenError(
                f"--spec/--out before a subcommand are not allowed with "
                f"'generate {ctx.invoked_subcommand}'; put --out after the subcommand"
            )
        return
    if spec is None:
        raise click.UsageError("give --spec FILE or a subcommand: mac, array", ctx=ctx)
    _generate(load_design(spec), out)


@generate.command(name="mac")
@_mac_options
@click.option("--out-format", default=None, help="Float format of the rounded `out` port.")
def generate_mac(out: Path | None, **options: Any) -> None:
    """A single MAC unit."""
    _generate(MacConfig.from_dict(_given(**options)), out)


@generate.command(name="array")
@click.option("--rows", type=int, required=True, help="Rows R (1..64).")
@click.option("--cols", type=int, required=True, help="Columns C (1..64).")
@_mac_options
def generate_array(out: Path | None, **options: Any) -> None:
    """An R x C output-stationary systolic PE array."""
    _generate(ArrayConfig.from_dict(_given(**options)), out)
