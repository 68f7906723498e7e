"""Shared test helpers: run the ``hwgen`` command line in-process or as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import click
import pytest
from click.testing import CliRunner

REPO_ROOT = Path(__file__).resolve().parent.parent


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


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """``cli("formats", "list")`` runs ``hwgen formats list`` in-process."""

    def run(*args: str, input: str | None = None) -> CliResult:
        return invoke_cli(args, input=input)

    return run


@pytest.fixture(name="run_hwgen_subprocess")
def run_hwgen_subprocess_fixture() -> Callable[..., CliResult]:
    """The :func:`run_hwgen_subprocess` helper, as a fixture."""
    return run_hwgen_subprocess


# ---------------------------------------------------------------------- sweeps
SWEEP_SMALL = REPO_ROOT / "examples" / "sweep_small.toml"


class BuiltSweep(NamedTuple):
    """The sweep of ``examples/sweep_small.toml``, run once per test session."""

    result: object  # hwgen.sweep.runner.SweepResult
    out_dir: Path
    first_run_seconds: float


@pytest.fixture(scope="session")
def sweep_small(tmp_path_factory: pytest.TempPathFactory) -> BuiltSweep:
    """``examples/sweep_small.toml`` run into one output directory for the whole session.

    Under pytest-xdist the directory is shared by the workers (under a file lock): the
    first worker runs the sweep, the others get it from the sweep's own cache. The
    duration of the run that did the work is kept for the cache speed-up test.
    """
    import fcntl
    import os

    from hwgen.sweep.runner import RunOptions, run_sweep

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = root / "sweep_small"
    timing = root / "sweep_small.first_run_seconds"
    with (root / "sweep_small.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = run_sweep(SWEEP_SMALL, out, RunOptions(jobs=2, progress="none"))
        if result.stats.evaluated:
            timing.write_text(repr(result.stats.seconds))
    return BuiltSweep(result, out, float(timing.read_text()))
