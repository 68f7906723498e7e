"""Design-space sweeps: many designs through cached stages, ranked on Pareto fronts.

>>> from hwgen.sweep import load_spec, run_sweep, RunOptions      # doctest: +SKIP
>>> result = run_sweep(load_spec("examples/sweep_small.toml"), "out", RunOptions(jobs=2))
>>> result.table[["design", "generic_transistors", "quant_operand_sqnr_db"]]

Modules: :mod:`~hwgen.sweep.spec` (the TOML spec), :mod:`~hwgen.sweep.points` (axes ->
design points), :mod:`~hwgen.sweep.stages` (the stage registry and its contract),
:mod:`~hwgen.sweep.cache` (content-hash records), :mod:`~hwgen.sweep.executor` (local
processes, Dask), :mod:`~hwgen.sweep.runner` (the run), :mod:`~hwgen.sweep.pareto`,
:mod:`~hwgen.sweep.plot`, :mod:`~hwgen.sweep.report` and :mod:`~hwgen.sweep.summary`
(outputs). ``docs/sweep.md`` describes the spec and the outputs. :mod:`~hwgen.sweep.demo`
holds the fixed sweep of ``hwgen demo``. The stage cache keys a verification run on the
design's ``config_hash`` + :meth:`hwgen.sim.verify.VerifyOptions.key`.

Importing this package is cheap; the heavy parts load when a sweep runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hwgen.sweep.runner import RunOptions, SweepResult, run_sweep
    from hwgen.sweep.spec import SweepSpec, load_spec

__all__ = ["RunOptions", "SweepResult", "SweepSpec", "load_spec", "run_sweep"]

_LAZY = {
    "RunOptions": "hwgen.sweep.runner",
    "SweepResult": "hwgen.sweep.runner",
    "run_sweep": "hwgen.sweep.runner",
    "SweepSpec": "hwgen.sweep.spec",
    "load_spec": "hwgen.sweep.spec",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hwgen.sweep' has no attribute {name!r}")
