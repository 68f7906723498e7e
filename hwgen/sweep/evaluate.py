"""Evaluate one design point: its stage instances in order, each from the cache or run.

:func:`evaluate_point` is the unit of work of every executor (in-process, local worker
processes, Dask workers). For each stage instance it computes the cache key from the
results of the instances it needs, uses the cached record when there is one (and, for a
failure, unless failures are being retried) and otherwise runs the stage and stores the
record before going on, so a run killed between two stages loses at most the stage that
was running. A stage error is caught and recorded with its stage; the instances that
need it are marked not run, the others still run.

With ``compute=False`` nothing runs: the answer is the outcome if every instance is served
from the cache, else ``None`` (the runner's fast path for unchanged re-runs).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwgen.sweep.cache import Cache, Record, stage_key
from hwgen.sweep.points import DesignPoint
from hwgen.sweep.stages.base import StageContext, StageInstance
from hwgen.sweep.versions import tool_versions

__all__ = ["PointOutcome", "PointTask", "evaluate_point", "run_task"]


@dataclass(frozen=True)
class PointTask:
    """Everything a worker needs to evaluate one point (picklable).

    Attributes
    ----------
    point
        The design point.
    instances
        Stage instances, in dependency order.
    out_dir
        The sweep's output directory (absolute; shared with the workers).
    retry_failed
        Run again the instances whose cached record is a failure.
    versions
        Tool versions the client keyed its cache on; a worker with other versions refuses
        the task (its records would never be found again).
    """

    point: DesignPoint
    instances: tuple[StageInstance, ...]
    out_dir: str
    retry_failed: bool = False
    versions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PointOutcome:
    """What happened to one point.

    Attributes
    ----------
    point_id
        The point.
    records
        Instance name -> record (ok or failed), for the instances that have one.
    computed
        Instances run in this evaluation (the rest came from the cache).
    not_run
        Instance name -> why it did not run (a stage it needs failed).
    seconds
        Wall time of this evaluation.
    """

    point_id: str
    records: Mapping[str, Record]
    computed: tuple[str, ...] = ()
    not_run: Mapping[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failures(self) -> list[Record]:
        """The failed records, in stage order."""
        return [r for r in self.records.values() if not r.ok]

    @property
    def ok(self) -> bool:
        """No stage failed."""
        return not self.failures


def _error(exc: BaseException) -> dict[str, str]:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return {"type": type(exc).__name__, "message": message}


def _check_result(inst: StageInstance, result: object) -> dict[str, Any]:
    if not isinstance(result, dict) or not isinstance(result.get("source"), str):
        raise TypeError(f"stage {inst.name} returned no result dict with a 'source' string")
    json.dumps(result, allow_nan=False)  # ValueError on NaN/inf, TypeError on non-JSON
    return result


def evaluate_point(
    point: DesignPoint,
    instances: tuple[StageInstance, ...],
    out_dir: Path,
    *,
    retry_failed: bool = False,
    compute: bool = True,
) -> PointOutcome | None:
    """Evaluate ``point`` (see the module docstring).

    Returns
    -------
    PointOutcome or None
        ``None`` only with ``compute=False`` when some instance is not cached.
    """
    t0 = time.perf_counter()
    cache = Cache(out_dir / "cache")
    ctx = StageContext(out_dir=out_dir)
    records: dict[str, Record] = {}
    computed: list[str] = []
    not_run: dict[str, str] = {}
    for inst in instances:
        skip = inst.stage.applies(point, inst.options)
        if skip is None and inst.subset_only and not point.in_subset:
            skip = "not in the [subset] of points this stage runs on"
        if skip is not None:
            not_run[inst.name] = f"n/a: {skip}"
            continue
        blocked = [n for n in inst.needs if n not in records or not records[n].ok]
        if blocked:
            first = blocked[0]
            why = (
                "not applicable"
                if not_run.get(first, "").startswith("n/a")
                else ("not run" if first in not_run else "failed")
            )
            not_run[inst.name] = f"{first} {why}"
            continue
        upstream = {n: records[n].result_hash for n in inst.needs}
        key = stage_key(inst, point, upstream)
        rec = cache.get(inst.name, key)
        if rec is not None:
            usable = (
                inst.stage.still_valid(point, rec.result or {}, ctx) if rec.ok else not retry_failed
            )
            if usable:
                records[inst.name] = rec
                continue
        if not compute:
            return None
        inputs = {n: records[n].result or {} for n in inst.needs}
        s0 = time.perf_counter()
        try:
            result = _check_result(inst, inst.stage.run(point, inst.options, inputs, ctx))
            rec = Record(inst.name, key, point.point_id, "ok", result, None, 0.0)
        except Exception as exc:  # every stage error is recorded; the sweep goes on
            rec = Record(inst.name, key, point.point_id, "failed", None, _error(exc), 0.0)
        rec = Record(
            rec.stage, rec.key, rec.point_id, rec.status, rec.result, rec.error,
            round(time.perf_counter() - s0, 3),
        )  # fmt: skip
        cache.put(rec)
        records[inst.name] = rec
        computed.append(inst.name)
    return PointOutcome(
        point_id=point.point_id,
        records=records,
        computed=tuple(computed),
        not_run=not_run,
        seconds=time.perf_counter() - t0,
    )


def run_task(task: PointTask) -> PointOutcome:
    """Evaluate a task on a worker (checks the worker's tool versions first).

    Raises
    ------
    RuntimeError
        The worker's tools differ from the client's.
    """
    tools = sorted({t for i in task.instances for t in i.stage.tools(i.options)})
    mine = tool_versions(tools)
    diff = [f"{t} {task.versions[t]} (client) vs {mine[t]} (worker)"
            for t in tools if t in task.versions and task.versions[t] != mine[t]]  # fmt: skip
    if diff:
        raise RuntimeError(f"worker tool versions differ from the client's: {'; '.join(diff)}")
    outcome = evaluate_point(
        task.point, task.instances, Path(task.out_dir), retry_failed=task.retry_failed
    )
    assert outcome is not None
    return outcome
