"""Run a sweep: points -> cached stages on an executor -> results, plots, report.

:func:`run_sweep` is the Python API behind ``hwgen sweep``:

1. parse the spec and expand its points (:mod:`hwgen.sweep.points`), check the output
   directory and reach the executor -- every bad input fails here, before anything is
   written;
2. lock the output directory (one sweep at a time) and stamp it with the sweep's name;
3. serve every point whose stages are all cached without starting a worker;
4. evaluate the others on the executor, each stage's record stored as soon as it exists
   (so a killed run resumes where it stopped), a failing point recorded and the sweep
   going on;
5. write ``results.csv``, ``results.parquet``, ``skipped.csv``, the Pareto plots and
   ``report.html`` -- unless the table, the spec and the tool versions are unchanged since
   the last run and those files are intact (``outputs.json``), which keeps an unchanged
   re-run instant.

Output directory layout::

    <out>/sweep.json          which sweep this directory holds
    <out>/results.csv|.parquet, skipped.csv, pareto_<front>.png|.svg, report.html
    <out>/outputs.json        hashes of the files above and of what they were made from
    <out>/designs/<name>-<id>/  generated design directories
    <out>/cache/<stage>/..    one JSON record per (point, stage instance)
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hwgen.errors import HwgenError
from hwgen.sweep.cache import Cache, atomic_write
from hwgen.sweep.evaluate import PointOutcome, PointTask, evaluate_point
from hwgen.sweep.executor import CONNECT_TIMEOUT_S, Executor, make_executor
from hwgen.sweep.pareto import Front, add_pareto_flags, choose_fronts
from hwgen.sweep.points import DesignPoint, SkippedPoint, expand
from hwgen.sweep.progress import PROGRESS_MODES, Progress
from hwgen.sweep.results import results_frame, skipped_frame
from hwgen.sweep.spec import SweepSpec, load_spec
from hwgen.sweep.versions import code_fingerprint, tool_versions

__all__ = ["RunOptions", "RunStats", "SweepResult", "check_out_dir", "run_sweep"]

STAMP = "sweep.json"
LOCK = ".lock"
OUTPUTS = "outputs.json"
STAMP_SCHEMA = 1
EXECUTORS = ("local", "dask")


@dataclass(frozen=True)
class RunOptions:
    """How to run a sweep (none of these change its results).

    Attributes
    ----------
    jobs
        Parallel evaluations (local worker processes, or LocalCluster workers for Dask
        without a scheduler); ``None``: all cores. ``1`` runs in this process.
    executor
        ``local`` or ``dask``.
    scheduler
        Dask scheduler address (``tcp://host:8786``); only with ``executor="dask"``.
    retry_failed
        Run again the stages whose cached record is a failure.
    prune_cache
        Afterwards, delete cache records this spec no longer uses.
    progress
        ``auto``, ``bar``, ``lines`` or ``none``.
    connect_timeout_s
        How long to try the Dask scheduler.
    limit
        Evaluate only the first ``limit`` design points, in spec order (a quick look at a
        large study, or its subset the test suite runs); ``None``: all of them. The
        results table then holds those points only.
    fast_path
        Evaluate a fast-model-only sweep (every stage a ``fast_cost`` instance) in
        vectorised chunks in this process (:mod:`hwgen.sweep.fastpath`); ``False``: point by
        point on the executor like any other sweep (same table, much slower).
    """

    jobs: int | None = None
    executor: str = "local"
    scheduler: str | None = None
    retry_failed: bool = False
    prune_cache: bool = False
    progress: str = "auto"
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    limit: int | None = None
    fast_path: bool = True

    def __post_init__(self) -> None:
        if self.limit is not None and (
            isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1
        ):
            raise HwgenError(f"limit must be an integer >= 1, not {self.limit!r}")
        if self.jobs is not None and (
            isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1
        ):
            raise HwgenError(f"jobs must be an integer >= 1, not {self.jobs!r}")
        if self.executor not in EXECUTORS:
            raise HwgenError(
                f"executor must be one of {', '.join(EXECUTORS)}, not {self.executor!r}"
            )
        if self.scheduler is not None and self.executor != "dask":
            raise HwgenError("--scheduler needs --executor dask (the local executor has none)")
        if not isinstance(self.connect_timeout_s, int | float) or not self.connect_timeout_s > 0:
            raise HwgenError(f"connect timeout must be > 0 s, not {self.connect_timeout_s!r}")
        if self.progress not in PROGRESS_MODES:
            raise HwgenError(
                f"progress must be one of {', '.join(PROGRESS_MODES)}, not {self.progress!r}"
            )

    @property
    def workers(self) -> int:
        """The resolved number of parallel evaluations."""
        return self.jobs if self.jobs is not None else max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class RunStats:
    """What a run did.

    Attributes
    ----------
    points, skipped
        Design points and skipped combinations.
    from_cache
        Points served entirely from the cache.
    evaluated
        Points sent to the executor.
    computed
        Stage instance -> how many times it ran (the rest were cached).
    failed
        Points with a failed stage.
    seconds
        Wall time of :func:`run_sweep`.
    executor
        Where evaluations ran.
    outputs_rewritten
        Whether plots and report were rendered (False: unchanged, kept).
    """

    points: int
    skipped: int
    from_cache: int
    evaluated: int
    computed: Mapping[str, int]
    failed: int
    seconds: float
    executor: str
    outputs_rewritten: bool


@dataclass(frozen=True)
class SweepResult:
    """The outcome of :func:`run_sweep`.

    Attributes
    ----------
    spec
        The spec that ran.
    out_dir
        The output directory.
    points, skipped
        Design points and skipped combinations.
    outcomes
        Point id -> outcome (records of every stage instance). ``points`` and
        ``outcomes`` are empty for a vectorised fast-model-only sweep: its ``table``
        holds every point.
    table
        The results table (``results.csv``), Pareto flags included.
    skipped_table
        ``skipped.csv``.
    fronts
        The Pareto fronts computed.
    paths
        Output name -> file (``results_csv``, ``results_parquet``, ``report``, ...).
    versions
        Tool versions of the stages.
    stats
        What the run did.
    """

    spec: SweepSpec
    out_dir: Path
    points: tuple[DesignPoint, ...]
    skipped: tuple[SkippedPoint, ...]
    outcomes: Mapping[str, PointOutcome]
    table: pd.DataFrame
    skipped_table: pd.DataFrame
    fronts: tuple[Front, ...]
    paths: Mapping[str, Path]
    versions: Mapping[str, str]
    stats: RunStats = field(repr=False)

    def summary(self) -> str:
        """The terminal summary: counts, the best designs, where the outputs are."""
        from hwgen.sweep.summary import fidelity_lines, summary_text

        s = self.stats
        ran = ", ".join(f"{k} {v}" for k, v in s.computed.items() if v) or "nothing"
        lines = [
            f"sweep {self.spec.name}: {s.points} design point(s), {s.points - s.failed} ok,"
            f" {s.failed} failed, {s.skipped} combination(s) skipped",
            f"  {s.from_cache} point(s) from the cache, {s.evaluated} evaluated on"
            f" {s.executor}; stages run: {ran}; {s.seconds:.1f} s",
        ]
        if s.failed:
            fails = self.table[self.table["status"] != "ok"]
            for _, row in fails.head(5).iterrows():
                lines.append(f"  FAILED {row['design']} at {row['failed_stage']}: {row['error']}")
            if len(fails) > 5:
                lines.append(
                    f"  ... {len(fails) - 5} more in results.csv (--retry-failed reruns them)"
                )
        lines += summary_text(self.table, self.fronts, self.spec.report.sqnr_budgets_db)
        lines += fidelity_lines(self.table)
        lines.append(f"outputs in {self.out_dir}:")
        for key in ("results_csv", "results_parquet", "report"):
            if key in self.paths:
                lines.append(f"  {self.paths[key].name}")
        plots = sorted(p.name for k, p in self.paths.items() if k.startswith("plot_"))
        if plots:
            lines.append(f"  {', '.join(plots)}")
        designs = self.out_dir / "designs"
        if designs.is_dir():
            n = sum(1 for d in designs.iterdir() if d.is_dir())
            lines.append(f"  designs/ (Verilog, files.f and manifest.json of {n} design(s))")
        return "\n".join(lines)


# ---------------------------------------------------------------------- output directory
def _read_stamp(out: Path) -> dict[str, Any] | None:
    p = out / STAMP
    if not p.is_file():
        return None
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        if not isinstance(d, dict) or "sweep" not in d:
            raise ValueError("no sweep name")
        return d
    except (OSError, ValueError) as exc:
        raise HwgenError(f"output directory {out} has an unreadable {STAMP}: {exc}") from None


def check_out_dir(out: Path, spec: SweepSpec) -> None:
    """Refuse an output directory this sweep must not write into (reads only).

    Raises
    ------
    HwgenError
        ``out`` is a file, a non-empty directory that is not a sweep's, or the output of a
        sweep with another name.
    """
    if out.exists() and not out.is_dir():
        raise HwgenError(f"output path {out} is a file; give a directory")
    if not out.is_dir() or not any(out.iterdir()):
        return
    stamp = _read_stamp(out)
    if stamp is None:
        raise HwgenError(
            f"output directory {out} is not empty and holds no {STAMP}: it is not a sweep's"
            " output; give a new or empty directory"
        )
    if stamp["sweep"] != spec.name:
        raise HwgenError(
            f"output directory {out} holds the results of sweep {stamp['sweep']!r}"
            f" (from {stamp.get('spec', '?')}), not {spec.name!r}; give another --out"
        )


@contextlib.contextmanager
def _locked(out: Path, spec: SweepSpec) -> Iterator[None]:
    out.mkdir(parents=True, exist_ok=True)
    fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise HwgenError(f"output directory {out} is in use by another running sweep") from None
        stamp = {"schema": STAMP_SCHEMA, "sweep": spec.name, "spec": Path(spec.source).name}
        if _read_stamp(out) != stamp:
            atomic_write(out / STAMP, json.dumps(stamp, indent=1, sort_keys=True) + "\n")
        yield
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- outputs
def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _parquet(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, engine="pyarrow")
    return buf.getvalue()


def _outputs_unchanged(out: Path, inputs: str) -> dict[str, Path] | None:
    try:
        d = json.loads((out / OUTPUTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if d.get("inputs_sha256") != inputs:
        return None
    paths = {}
    for key, (name, digest) in d.get("files", {}).items():
        p = out / name
        try:
            if _sha(p.read_bytes()) != digest:
                return None
        except OSError:
            return None
        paths[key] = p
    return paths


def _write_outputs(
    out: Path,
    spec: SweepSpec,
    table: pd.DataFrame,
    skipped: pd.DataFrame,
    fronts: tuple[Front, ...],
    versions: Mapping[str, str],
    counts: Mapping[str, int],
) -> tuple[dict[str, Path], bool]:
    from hwgen.sweep.plot import render_front
    from hwgen.sweep.report import render_report

    csv, skipped_csv = _csv(table), _csv(skipped)
    fingerprint = {
        "results": _sha(csv),
        "skipped": _sha(skipped_csv),
        "spec": spec.text_sha256,
        "versions": dict(versions),
        "code": {m: code_fingerprint(m) for m in ("hwgen.sweep",)},
    }
    inputs = _sha(json.dumps(fingerprint, sort_keys=True).encode())
    kept = _outputs_unchanged(out, inputs)
    if kept is not None:
        return kept, False
    files: dict[str, tuple[str, bytes]] = {
        "results_csv": ("results.csv", csv),
        "results_parquet": ("results.parquet", _parquet(table)),
        "skipped_csv": ("skipped.csv", skipped_csv),
    }
    plots: dict[str, dict[str, bytes]] = {}
    for f in fronts:
        plots[f.name] = render_front(table, f, f"sweep {spec.name}: {f.error} vs {f.cost}")
        for fmt, data in plots[f.name].items():
            files[f"plot_{f.name}_{fmt}"] = (f"pareto_{f.name}.{fmt}", data)
    html = render_report(spec, table, skipped, fronts, plots, versions=versions, counts=counts)
    files["report"] = ("report.html", html.encode("utf-8"))
    # Plots of fronts this sweep no longer has would be stale: remove them.
    for old in out.glob("pareto_*.*"):
        if old.name not in {name for name, _ in files.values()}:
            old.unlink()
    paths = {}
    for key, (name, data) in files.items():
        atomic_write(out / name, data)
        paths[key] = out / name
    record = {
        "inputs_sha256": inputs,
        "files": {k: [n, _sha(d)] for k, (n, d) in files.items()},
    }
    atomic_write(out / OUTPUTS, json.dumps(record, indent=1, sort_keys=True) + "\n")
    return paths, True


# ---------------------------------------------------------------------- the run
def _status(outcome: PointOutcome | None, err: BaseException | None) -> tuple[str, str]:
    if err is not None:
        return "FAILED", f"{type(err).__name__}: {' '.join(str(err).split())}"
    assert outcome is not None
    if outcome.failures:
        r = outcome.failures[0]
        msg = (r.error or {}).get("message", "")
        return "FAILED", f"{r.stage}: {(r.error or {}).get('type', 'Error')}: {msg}"
    ver = outcome.records.get("verify")
    if ver is not None and ver.result and ver.result.get("status") == "fail":
        return "MISMATCH", f"verify: {ver.result.get('mismatches')} mismatches"
    return "ok", ""


def _lost(point: DesignPoint, err: BaseException) -> PointOutcome:
    """The outcome of a point whose evaluation was lost (worker died, wrong tools...).

    Nothing is cached for it, so the next run evaluates it again.
    """
    from hwgen.sweep.cache import Record

    rec = Record(
        "executor",
        "",
        point.point_id,
        "failed",
        None,
        {"type": type(err).__name__, "message": " ".join(str(err).split()) or type(err).__name__},
        0.0,
    )
    return PointOutcome(point_id=point.point_id, records={"executor": rec})


def run_sweep(
    spec: SweepSpec | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    options: RunOptions | None = None,
) -> SweepResult:
    """Run a sweep (see the module docstring).

    Parameters
    ----------
    spec
        A parsed spec or the path of a TOML spec file.
    out_dir
        Output directory (created; must be empty, new, or this sweep's).
    options
        How to run it.

    Returns
    -------
    SweepResult

    Raises
    ------
    HwgenError
        Bad spec, an output directory that is not this sweep's, an unreachable scheduler:
        before anything is written. Failing design points do not raise.
    """
    t0 = time.perf_counter()
    opts = options if options is not None else RunOptions()
    sp = spec if isinstance(spec, SweepSpec) else load_spec(spec)
    if opts.fast_path and opts.executor == "local":
        from hwgen.sweep.fastpath import is_fast_only, run_fast_sweep

        if is_fast_only(sp):
            fast_out = Path(out_dir).resolve()
            check_out_dir(fast_out, sp)
            tools = sorted({t for i in sp.stages for t in i.stage.tools(i.options)})
            return run_fast_sweep(sp, fast_out, opts, tool_versions(tools), t0)
    points, skipped = expand(sp)
    if opts.limit is not None:
        points = points[: opts.limit]
    out = Path(out_dir).resolve()
    check_out_dir(out, sp)
    instances = sp.stages
    tools = sorted({t for i in instances for t in i.stage.tools(i.options)})
    versions = tool_versions(tools)
    executor: Executor | None = None
    if opts.executor == "dask":
        executor = make_executor(
            "dask",
            jobs=opts.workers,
            scheduler=opts.scheduler,
            timeout_s=opts.connect_timeout_s,
        )
    try:
        with _locked(out, sp):
            Cache(out / "cache").remove_stale_temp()
            outcomes, stats_parts = _evaluate(sp, points, out, opts, versions, executor)
            if executor is not None:
                executor.close()
                executor = None
            # Again at the end: workers of a killed earlier run outlive it by up to their
            # watch interval and may die inside a write after the first clean-up.
            Cache(out / "cache").remove_stale_temp()
            if opts.prune_cache:
                _prune(out, outcomes)
            table = results_frame(points, outcomes, instances)
            fronts = choose_fronts(sp)
            table = add_pareto_flags(table, fronts)
            skipped_table = skipped_frame(skipped)
            failed = int((table["status"] != "ok").sum())
            counts = {"points": len(points), "ok": len(points) - failed, "failed": failed,
                      "skipped": len(skipped)}  # fmt: skip
            paths, rewritten = _write_outputs(
                out, sp, table, skipped_table, fronts, versions, counts
            )
    finally:
        if executor is not None:
            executor.close()
    from_cache, evaluated, computed, where = stats_parts
    stats = RunStats(
        points=len(points),
        skipped=len(skipped),
        from_cache=from_cache,
        evaluated=evaluated,
        computed=computed,
        failed=failed,
        seconds=time.perf_counter() - t0,
        executor=where,
        outputs_rewritten=rewritten,
    )
    return SweepResult(
        spec=sp,
        out_dir=out,
        points=points,
        skipped=skipped,
        outcomes=outcomes,
        table=table,
        skipped_table=skipped_table,
        fronts=fronts,
        paths=paths,
        versions=versions,
        stats=stats,
    )


def _evaluate(
    spec: SweepSpec,
    points: tuple[DesignPoint, ...],
    out: Path,
    opts: RunOptions,
    versions: Mapping[str, str],
    executor: Executor | None,
) -> tuple[dict[str, PointOutcome], tuple[int, int, dict[str, int], str]]:
    outcomes: dict[str, PointOutcome] = {}
    pending: list[PointTask] = []
    for p in points:
        got = evaluate_point(p, spec.stages, out, retry_failed=opts.retry_failed, compute=False)
        if got is not None:
            outcomes[p.point_id] = got
        else:
            pending.append(PointTask(p, spec.stages, str(out), opts.retry_failed, versions))
    computed = {i.name: 0 for i in spec.stages}
    from_cache = len(outcomes)
    where = "no executor (all cached)"
    if pending:
        if executor is None:
            executor = make_executor("local", jobs=min(opts.workers, len(pending)), scheduler=None)
            own = executor
        else:
            own = None
        where = executor.describe()
        if opts.workers > 1:
            pending = _largest_first(pending)
        progress = Progress(len(pending), from_cache, mode=opts.progress)
        cache = Cache(out / "cache")
        try:
            for task, result in executor.run(pending):
                if isinstance(result, BaseException):
                    outcome = _lost(task.point, result)
                    status, detail = _status(None, result)
                else:
                    outcome = result
                    # Workers without the shared filesystem: keep their records here too.
                    for rec in outcome.records.values():
                        cache.put_if_absent(rec)
                    status, detail = _status(outcome, None)
                    for name in outcome.computed:
                        computed[name] += 1
                outcomes[task.point.point_id] = outcome
                progress.advance(task.point.name, status, outcome.seconds, detail)
        finally:
            progress.close()
            if own is not None:
                own.close()
    return outcomes, (from_cache, len(pending), computed, where)


def _largest_first(tasks: list[PointTask]) -> list[PointTask]:
    """``tasks``, the largest designs first (by the fitted model's iCE40 LUTs + FFs).

    On a few workers a sweep otherwise ends with its largest design (arrays and BitMoD
    PEs come last in most specs) running alone while the other workers idle; starting it
    first shortens the run. Only the order of evaluation changes, never a result; a spec
    with a family the model does not cover keeps its order.
    """
    from hwgen.costmodel.fast.model import estimate_many

    try:
        frame = estimate_many([t.point.build() for t in tasks], "ice40")
    except HwgenError:
        return tasks
    size = (frame["luts"].fillna(0) + frame["ffs"].fillna(0)).to_numpy()
    order = sorted(range(len(tasks)), key=lambda i: -size[i])
    return [tasks[i] for i in order]


def _prune(out: Path, outcomes: Mapping[str, PointOutcome]) -> int:
    cache = Cache(out / "cache")
    keep = [
        cache.path(r.stage, r.key) for o in outcomes.values() for r in o.records.values() if r.key
    ]
    return cache.prune(keep)
