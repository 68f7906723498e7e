"""Helpers shared by the test modules (imported as ``helpers``; fixtures live in conftest).

* command line: :func:`invoke_cli` (in-process), :func:`run_hwgen_subprocess`;
* generated designs: :class:`EmittedDesigns` (each config emitted once per session);
* Amaranth simulator: :func:`comb_eval`, :func:`clocked_eval`, :func:`run_mac`,
  :func:`check_mac` (a MAC against its config's golden model, cycle by cycle).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import click
import numpy as np
from amaranth.lib import wiring
from amaranth.sim import Simulator
from click.testing import CliRunner

from hwgen.design.base import DesignConfig
from hwgen.design.mac import MacConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
SWEEP_SMALL = REPO_ROOT / "examples" / "sweep_small.toml"
"""The fast sweep spec the sweep tests run."""


class CliResult(NamedTuple):
    """Outcome of one ``hwgen`` invocation; unpacks as ``(exit_code, stdout, stderr)``."""

    exit_code: int
    stdout: str
    stderr: str


def invoke_cli(
    args: Sequence[str], *, command: click.Command | None = None, input: str | None = None
) -> CliResult:
    """Run a click command in-process with separate stdout and stderr.

    ``command`` defaults to the ``hwgen`` group. Exceptions that escape the command's own
    error handling propagate, so a bug fails the test with its traceback instead of
    hiding behind exit code 1.
    """
    if command is None:
        from hwgen.cli.main import main as command
    # click >= 8.2 keeps stderr apart from stdout in CliRunner results.
    result = CliRunner().invoke(
        command, list(args), input=input, catch_exceptions=False, prog_name="hwgen"
    )
    return CliResult(result.exit_code, result.stdout, result.stderr)


class EmittedDesigns:
    """Design directories under ``root``, each config emitted once (on its first request).

    Session fixtures wrap one of these so that the tests sharing a config share its
    directory, and with it the simulator build cached for that directory's Verilog.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: dict[DesignConfig, Path] = {}

    def __call__(self, cfg: DesignConfig) -> Path:
        """The directory of ``cfg`` (``root / cfg.name``), emitted on the first call."""
        from hwgen.emit import emit

        if cfg not in self._made:
            self._made[cfg] = self.root / cfg.name
            emit(cfg, self._made[cfg])
        return self._made[cfg]


def run_hwgen_subprocess(*args: str, timeout: float = 120.0) -> CliResult:
    """Run ``python -m hwgen ARGS`` in a child process (checks the real entry point)."""
    proc = subprocess.run(
        [sys.executable, "-m", "hwgen", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def comb_eval(
    component: wiring.Component, inputs: Mapping[str, Sequence[int]], outputs: Sequence[str]
) -> dict[str, list[int]]:
    """Apply each input vector (same-length sequences per port) and read ``outputs``."""
    lengths = {len(v) for v in inputs.values()}
    assert len(lengths) == 1, "all input sequences must have the same length"
    (n,) = lengths
    got: dict[str, list[int]] = {name: [] for name in outputs}

    async def bench(ctx) -> None:
        for i in range(n):
            for name, values in inputs.items():
                ctx.set(getattr(component, name), int(values[i]))
            for name in outputs:
                got[name].append(ctx.get(getattr(component, name)))

    sim = Simulator(component)
    sim.add_testbench(bench)
    sim.run()
    return got


def clocked_eval(
    component: wiring.Component, inputs: Mapping[str, Sequence[int]], outputs: Sequence[str]
) -> dict[str, list[int]]:
    """Apply one input vector per clock cycle and read ``outputs`` after each rising edge."""
    (n,) = {len(v) for v in inputs.values()}
    got: dict[str, list[int]] = {name: [] for name in outputs}

    async def bench(ctx) -> None:
        for i in range(n):
            for name, values in inputs.items():
                ctx.set(getattr(component, name), int(values[i]))
            await ctx.tick()
            for name in outputs:
                got[name].append(ctx.get(getattr(component, name)))

    sim = Simulator(component)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got


@dataclass(frozen=True)
class MacRun:
    """What a MAC shows after each input cycle (pipeline latency already removed)."""

    acc: list[int]
    flags: list[int]
    out: list[int]


def run_mac(
    cfg: MacConfig,
    a: Sequence[int],
    w: Sequence[int],
    valid: Sequence[int],
    clear: Sequence[int],
) -> MacRun:
    """Clock the unit of ``cfg`` through the cycles; entry ``t`` is the state after cycle ``t``.

    The unit is clocked ``cfg.stages`` extra idle cycles so the last products arrive, and
    the first ``cfg.stages`` samples (pipeline filling) are dropped: entry ``t`` is read
    ``cfg.latency`` rising edges after cycle ``t``'s inputs were sampled.
    """
    unit = cfg.create()
    lat = cfg.latency - 1
    pad = [0] * lat
    outputs = ["acc"] + (["flags"] if cfg.has_flags else []) + (["out"] if cfg.out else [])
    got = clocked_eval(
        unit,
        {
            "a": [*a, *pad],
            "w": [*w, *pad],
            "valid": [*valid, *pad],
            "clear": [*clear, *pad],
        },
        outputs,
    )
    n = len(a)
    return MacRun(
        acc=got["acc"][lat : lat + n],
        flags=got["flags"][lat : lat + n] if cfg.has_flags else [0] * n,
        out=got["out"][lat : lat + n] if cfg.out else [],
    )


def check_mac(
    cfg: MacConfig,
    a: Sequence[int],
    w: Sequence[int],
    valid: Sequence[int],
    clear: Sequence[int],
) -> None:
    """Assert that the hardware matches :func:`hwgen.golden.mac_trace` cycle by cycle."""
    hw = run_mac(cfg, a, w, valid, clear)
    gold = cfg.golden()
    acc, flags = gold.trace(
        np.asarray(a), np.asarray(w), np.asarray(valid, dtype=bool), np.asarray(clear, dtype=bool)
    )
    assert hw.acc == [int(x) for x in acc]
    assert hw.flags == [int(x) for x in flags]
    if cfg.out is not None:
        assert hw.out == [int(x) for x in gold.out_codes(acc, flags)]
