"""``hwgen verify DIR``: simulate a generated design against the golden model."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hwgen.sim.runner import Simulator
from hwgen.sim.stream_file import stimulus_from_file
from hwgen.sim.verify import DEFAULT_VECTORS, MAX_VECTORS, VerifyOptions, Waves
from hwgen.sim.verify import check as run_check
from hwgen.sim.verify import verify as run_verify

EXIT_MISMATCH = 1
"""Exit code when the design disagrees with the golden model."""


@click.command("verify")
@click.argument("design_dir", type=click.Path(path_type=Path))
@click.option(
    "--sim",
    type=click.Choice([str(s) for s in Simulator]),
    default=str(Simulator.VERILATOR),
    show_default=True,
    help="HDL simulator.",
)
@click.option(
    "--vectors",
    type=click.IntRange(min=0, max=MAX_VECTORS),
    default=DEFAULT_VECTORS,
    show_default=True,
    help="Random MAC checks (MAC designs, on top of the exhaustive and extreme phases, "
    "rounded up to whole clocks of --lanes), MACs (arrays) or MACs of the random groups "
    "after the directed ones (BitMoD PEs); at most "
    f"{MAX_VECTORS:,} (2^24) per run: use several --seed values for more.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--waves/--no-waves",
    default=None,
    help="Always record a waveform / never. Default: on a mismatch, re-run up to the first "
    "failure with tracing and print the waveform path.",
)
@click.option(
    "--lanes",
    type=click.IntRange(min=1),
    default=None,
    help="Design instances checked per clock (MAC: 256 on Verilator, 16 on Icarus; array: 1; "
    "BitMoD PE: 8 on Verilator, 2 on Icarus).",
)
@click.option(
    "--stimulus",
    "stimulus_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Run this user-supplied stream (.npz; BitMoD PE and array designs, layout in "
    "docs/hardware.md) instead of the generated phases.",
)
@click.option(
    "--build-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Simulator build cache [$HWGEN_CACHE_DIR/sim, else ~/.cache/hwgen/sim].",
)
@click.pass_context
def verify(
    ctx: click.Context,
    design_dir: Path,
    sim: str,
    vectors: int,
    seed: int,
    waves: bool | None,
    lanes: int | None,
    build_dir: Path | None,
    stimulus_file: Path | None,
    as_json: bool,
) -> None:
    """Check the design in DESIGN_DIR (a `hwgen generate` output) in a simulator.

    Prints a summary; exits 1 when any output disagrees with the golden model.
    """
    mode = Waves.ON_FAILURE if waves is None else (Waves.ALWAYS if waves else Waves.NEVER)
    options = VerifyOptions(sim=Simulator(sim), vectors=vectors, seed=seed, waves=mode, lanes=lanes)
    if stimulus_file is None:
        report = run_verify(design_dir, options, build_root=build_dir)
    else:
        stim = stimulus_from_file(design_dir, stimulus_file)
        report = run_check(design_dir, stim, options, build_root=build_dir)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, sort_keys=True))
    else:
        click.echo(report.summary())
    if not report.passed:
        if report.run_dir is not None and not as_json:
            click.echo(f"logs        {report.run_dir}")
        ctx.exit(EXIT_MISMATCH)
