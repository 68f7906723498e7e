"""Fixtures shared by the test modules, and the test run's own simulator build cache.

The whole run (every xdist worker) builds simulator harnesses into one temporary cache
(``HWGEN_CACHE_DIR``, a scratch directory of the controlling process): builds are shared
between workers, and the directory is removed when the run ends, so a test run leaves
nothing behind (a killed run's directory is swept by the next hwgen process).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from helpers import SWEEP_SMALL, CliResult, EmittedDesigns, invoke_cli, run_hwgen_subprocess

from hwgen.tools.cache import CACHE_ENV
from hwgen.tools.progress import PROGRESS_ENV
from hwgen.tools.scratch import make_scratch

_OWNED_CACHE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """The controlling process makes the run's cache; workers inherit it by environment."""
    # Commands' stderr is asserted exactly; progress lines depend on the machine's speed.
    os.environ[PROGRESS_ENV] = "off"
    if os.environ.get("PYTEST_XDIST_WORKER") or hasattr(config, "workerinput"):
        return
    path = str(make_scratch("test-cache"))
    _OWNED_CACHE.append(path)
    os.environ[CACHE_ENV] = path


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the run's cache (controlling process only)."""
    while _OWNED_CACHE:
        shutil.rmtree(_OWNED_CACHE.pop(), ignore_errors=True)


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


# ---------------------------------------------------------------------- designs
@pytest.fixture(scope="session")
def array_design(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``array_design(rows, cols, **mac)``: a PE array's design directory, emitted once.

    ``mac`` are the keywords of every PE's ``MacConfig``; the array modules of the sim
    tests share one directory per config.
    """
    from hwgen.design.array import ArrayConfig
    from hwgen.design.mac import MacConfig

    designs = EmittedDesigns(tmp_path_factory.mktemp("array_designs"))

    def make(rows: int, cols: int, **mac: object) -> Path:
        return designs(ArrayConfig(mac=MacConfig(**mac), rows=rows, cols=cols))

    return make


# ---------------------------------------------------------------------- sweeps
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
