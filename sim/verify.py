"""Verify a generated design directory in an HDL simulator against the golden model.

``verify(design_dir, VerifyOptions(...))`` reads ``manifest.json``, rebuilds the design
config from its ``config`` through the family table, and hands the rest to the family's
bench (:mod:`hwgen.sim.bench`): stimulus, golden values (``config.golden()``), the cocotb
test that runs inside the simulator, and the scoring. The multi-lane harness around the
shipped Verilog is built once and cached (:mod:`hwgen.sim.runner`, in the user cache
directory unless ``build_root`` says otherwise).

When a run fails and waves are ``on-failure``, the stimulus up to the first failure is run
again on a tracing build and the waveform path is reported (tracing slows Verilator, so
passing runs never pay for it).
"""

from __future__ import annotations

import dataclasses
import enum
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hwgen._validate import check_enum, check_int
from hwgen.design.base import DesignConfig, canonical_json, config_hash
from hwgen.design.families import family
from hwgen.emit.check import check_design_dir
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError
from hwgen.golden.float_error import AccError
from hwgen.sim.bench import Bench
from hwgen.sim.fault import Fault
from hwgen.sim.job import JOB_ENV, Job
from hwgen.sim.runner import SimBuild, Simulator, build, default_build_root, run
from hwgen.tools import cache, progress

__all__ = [
    "DEFAULT_VECTORS",
    "MAX_LANES",
    "MAX_VECTORS",
    "VerifyOptions",
    "VerifyReport",
    "Waves",
    "check",
    "verify",
]

DEFAULT_VECTORS = 1 << 18
MAX_VECTORS = 1 << 24
"""Largest ``vectors`` one run takes: the stimulus, the golden outputs and the capture are
held in memory (about 100 bytes per vector, so 1.6 GiB at the limit); split longer
verifications into several seeds."""
"""Random MAC cycles (MAC designs) or MACs (arrays) checked by default."""
MAX_LANES = 256
"""Most instances a harness may hold."""


class Waves(enum.StrEnum):
    """When to record a waveform."""

    NEVER = "never"
    ON_FAILURE = "on-failure"
    ALWAYS = "always"


@dataclass(frozen=True, kw_only=True)
class VerifyOptions:
    """What a verification run checks: frozen, validated, serialisable.

    Everything that changes the verdict or the report is here, so a sweep cache or a
    distributed executor can key a run on :meth:`key` (design ``config_hash`` + this).
    *Where* builds are cached is not an option: it is an argument of :func:`verify`.

    Parameters
    ----------
    sim
        ``verilator`` (fast, compiled) or ``icarus``.
    vectors
        MAC designs: random cycles (on top of the exhaustive and extreme phases); arrays:
        MACs streamed at full speed.
    seed
        Seed of the stimulus (same seed, same vectors).
    waves
        ``never``, ``on-failure`` (re-run up to the first failure with tracing) or
        ``always`` (trace the whole run).
    lanes
        Design instances in the harness; ``None``: the family's default for ``sim``.
    exhaustive
        MAC: include the exhaustive pair phase (at most 16 operand bits).
    stress
        Arrays: add the backpressure / idle-beat phase.
    fault
        Flip one bit of one lane in the harness (negative control).
    max_report
        Mismatches to decode in the report.

    Raises
    ------
    HwgenError
        Any invalid value, with the usual one-line message.
    """

    sim: Simulator = Simulator.VERILATOR
    vectors: int = DEFAULT_VECTORS
    seed: int = 0
    waves: Waves = Waves.ON_FAILURE
    lanes: int | None = None
    exhaustive: bool = True
    stress: bool = True
    fault: Fault | None = None
    max_report: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "sim", check_enum("sim", Simulator, self.sim))
        object.__setattr__(self, "waves", check_enum("waves", Waves, self.waves))
        object.__setattr__(self, "vectors", check_int("vectors", self.vectors, 0, MAX_VECTORS))
        object.__setattr__(self, "seed", check_int("seed", self.seed, 0))
        if self.lanes is not None:
            object.__setattr__(self, "lanes", check_int("lanes", self.lanes, 1, MAX_LANES))
        object.__setattr__(self, "max_report", check_int("max_report", self.max_report, 0))
        for name in ("exhaustive", "stress"):
            if not isinstance(getattr(self, name), bool):
                raise HwgenError(f"{name} must be true or false, not {getattr(self, name)!r}")
        if self.fault is not None and not isinstance(self.fault, Fault):
            raise HwgenError(f"fault must be a Fault or None, not {type(self.fault).__name__}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (enums as their values, the fault as a dict or ``None``)."""
        d = asdict(self)
        d["sim"], d["waves"] = str(self.sim), str(self.waves)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VerifyOptions:
        """Inverse of :meth:`to_dict` (any subset; unknown keys rejected)."""
        allowed = tuple(cls.__dataclass_fields__)
        unknown = sorted(set(d) - set(allowed))
        if unknown:
            raise HwgenError(
                f"unknown verify options: {', '.join(unknown)}; allowed: {', '.join(allowed)}"
            )
        kw = dict(d)
        if isinstance(kw.get("fault"), Mapping):
            kw["fault"] = Fault(**kw["fault"])
        return cls(**kw)

    def key(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict`."""
        return config_hash(self.to_dict())

    def __str__(self) -> str:
        return canonical_json(self.to_dict())


@dataclass(frozen=True, kw_only=True)
class VerifyReport:
    """Outcome of :func:`verify`.

    Attributes
    ----------
    design, kind, sim, lanes, seed
        What ran where.
    checks
        MAC operations verified (see :class:`hwgen.sim.scoreboard.Score`).
    mismatches
        Wrong outputs (all counted).
    by_signal
        Mismatches per output role.
    first_mismatches
        The first mismatches, decoded, one line each.
    phases
        ``(name, checks)`` of each stimulus phase.
    skipped
        ``(name, reason)`` of each phase of the bench that did not run.
    requested
        The random vectors asked for (``None`` when the caller gave the stimulus); a phase
        is whole clocks of ``lanes`` lanes, so its count is rounded up and depends on the
        lane count (which differs between simulators unless ``--lanes`` fixes it).
    build_seconds, build_cached
        Harness build time (0 when reused from the cache).
    run_seconds
        Wall time of the simulator run (process start to results).
    loop_seconds
        Wall time of the bench's clock loop alone (no process start, packing or saving).
    loop_cpu_seconds
        CPU time of the simulator process during the clock loop (Verilator's model and the
        bench's Python share that process): the rate a free core would reach, whatever
        else the machine runs. 0 when the bench does not record it.
    check_seconds
        Golden model + scoring time.
    acc_error
        A float accumulator's relative error against the exact sums over the vectors
        run (:class:`hwgen.golden.float_error.AccError`); ``None`` for fixed point.
    waves
        Waveform file, if one was recorded.
    run_dir
        Where the logs of the run are (kept for failing runs and waveforms).
    """

    design: str
    kind: str
    sim: Simulator
    lanes: int
    seed: int
    checks: int
    mismatches: int
    by_signal: Mapping[str, int] = field(default_factory=dict)
    first_mismatches: tuple[str, ...] = ()
    phases: tuple[tuple[str, int], ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    requested: int | None = None
    build_seconds: float = 0.0
    build_cached: bool = False
    run_seconds: float = 0.0
    loop_seconds: float = 0.0
    loop_cpu_seconds: float = 0.0
    check_seconds: float = 0.0
    acc_error: AccError | None = None
    waves: Path | None = None
    run_dir: Path | None = None

    @property
    def passed(self) -> bool:
        """No mismatch."""
        return self.mismatches == 0

    @property
    def checks_per_second(self) -> float:
        """MAC checks per second of simulator wall time (process start included)."""
        return self.checks / self.run_seconds if self.run_seconds > 0 else 0.0

    @property
    def loop_checks_per_second(self) -> float:
        """MAC checks per second of the clock loop (the sustained rate of long runs)."""
        return self.checks / self.loop_seconds if self.loop_seconds > 0 else 0.0

    @property
    def loop_cpu_checks_per_second(self) -> float:
        """MAC checks per CPU second of the clock loop (independent of the machine's load)."""
        return self.checks / self.loop_cpu_seconds if self.loop_cpu_seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``hwgen verify --json``): every attribute, plus ``passed``."""
        return {
            "design": self.design,
            "kind": self.kind,
            "sim": str(self.sim),
            "lanes": self.lanes,
            "seed": self.seed,
            "passed": self.passed,
            "checks": self.checks,
            "requested_vectors": self.requested,
            "mismatches": self.mismatches,
            "by_signal": dict(self.by_signal),
            "first_mismatches": list(self.first_mismatches),
            "phases": [{"name": n, "checks": c} for n, c in self.phases],
            "skipped": [{"name": n, "reason": r} for n, r in self.skipped],
            "build_seconds": self.build_seconds,
            "build_cached": self.build_cached,
            "run_seconds": self.run_seconds,
            "loop_seconds": self.loop_seconds,
            "loop_cpu_seconds": self.loop_cpu_seconds,
            "check_seconds": self.check_seconds,
            "waves": None if self.waves is None else str(self.waves),
            "run_dir": None if self.run_dir is None else str(self.run_dir),
        }

    def summary(self) -> str:
        """Multi-line human summary."""
        build = "cached" if self.build_cached else f"{self.build_seconds:.2f} s"
        phases = ", ".join(f"{n} {c:,}" for n, c in self.phases)
        lines = [
            f"design      {self.design} ({self.kind})",
            f"simulator   {self.sim} ({self.lanes} lane{'' if self.lanes == 1 else 's'})",
            f"vectors     {self.checks:,} MAC checks ({phases}), seed {self.seed}",
            f"mismatches  {self.mismatches:,}"
            + (
                " (" + ", ".join(f"{k} {v:,}" for k, v in self.by_signal.items() if v) + ")"
                if self.mismatches
                else ""
            ),
            f"build       {build}",
            f"run         {self.run_seconds:.2f} s ({self.checks_per_second:,.0f} checks/s; "
            f"clock loop {self.loop_seconds:.2f} s, {self.loop_checks_per_second:,.0f} checks/s)",
            f"golden      {self.check_seconds:.2f} s",
            *self._acc_error_lines(),
            f"result      {'PASS' if self.passed else 'FAIL'}",
        ]
        for name, reason in self.skipped:
            lines.insert(3, f"skipped     {name} phase: {reason}")
        random = dict(self.phases).get("random")
        if self.requested is not None and random is not None and random != self.requested:
            lines.insert(
                3,
                f"note        random phase: {self.requested:,} vectors rounded up to whole "
                f"clocks of {self.lanes} lanes ({random:,}); phase sizes follow the lane "
                "count, which differs between simulators unless --lanes is given",
            )
        if self.first_mismatches:
            lines.append("first mismatches:")
            lines += [f"  {m}" for m in self.first_mismatches]
        if self.waves is not None:
            lines.append(f"waves       {self.waves}")
        return "\n".join(lines)

    def _acc_error_lines(self) -> list[str]:
        e = self.acc_error
        if e is None:
            return []
        # A MAC is compared after every cycle; an array on its delivered tile results.
        ref, unit = (
            ("the exact GEMM", "results") if self.kind == "array" else ("the exact sum", "cycles")
        )
        return [
            f"acc error   max rel {e.max_rel:.3e}, mean rel {e.mean_rel:.3e} vs {ref}"
            f" ({e.count:,} {unit}; {e.nonfinite:,} overflowed, {e.exact_zero_missed:,} of"
            f" {e.exact_zero:,} exact zeros missed, {e.special:,} special)"
        ]


def _simulate(
    b: SimBuild, run_dir: Path, test_module: str, arrays: dict[str, np.ndarray], timeout: int
) -> tuple[Job, Path | None, float]:
    job = Job(
        design_dir=str(b.design_dir),
        lanes=b.lanes,
        stimulus=str(run_dir / "stimulus.npz"),
        capture=str(run_dir / "capture.npz"),
        timeout_cycles=timeout,
    )
    path = job.write(run_dir, arrays)
    t0 = time.perf_counter()
    with progress.phase(f"{b.sim} run of {b.toplevel}"):
        wave = run(b, test_module=test_module, run_dir=run_dir, env={JOB_ENV: str(path)})
    return job, wave, time.perf_counter() - t0


def _load(design_dir: str | os.PathLike[str]) -> tuple[Path, Manifest, DesignConfig, Bench]:
    ddir = Path(design_dir)
    if not ddir.is_dir():
        raise HwgenError(f"design directory not found: {ddir}")
    if not (ddir / "manifest.json").is_file():
        raise HwgenError(
            f"{ddir} holds no manifest.json: not a design directory from hwgen generate"
        )
    man = Manifest.load(ddir)
    config = check_design_dir(ddir, man)
    return ddir, man, config, family(man.kind).bench()


def verify(
    design_dir: str | os.PathLike[str],
    options: VerifyOptions | None = None,
    *,
    build_root: str | os.PathLike[str] | None = None,
) -> VerifyReport:
    """Simulate a design directory against the golden model.

    Parameters
    ----------
    design_dir
        Directory written by ``hwgen generate`` / :func:`hwgen.emit.emit`.
    options
        What to check (:class:`VerifyOptions`; default: its defaults).
    build_root
        Simulator build cache (default: ``<user cache>/sim``, see :mod:`hwgen.tools.cache`).

    Returns
    -------
    VerifyReport

    Raises
    ------
    HwgenError
        No manifest in ``design_dir``, an inconsistent manifest, or bad options.
    ToolNotFoundError
        The simulator is not installed.
    """
    opts = options if options is not None else VerifyOptions()
    ddir, _, config, bench = _load(design_dir)
    lanes = opts.lanes or bench.default_lanes(opts.sim)
    stim, phases = bench.stimulus(config, opts, lanes)
    report = check(ddir, stim, opts, build_root=build_root, phases=phases)
    return dataclasses.replace(
        report,
        skipped=tuple(bench.skipped_phases(config, opts)),
        requested=opts.vectors if any(n == "random" for n, _ in phases) else None,
    )


def check(
    design_dir: str | os.PathLike[str],
    stimulus: Any,
    options: VerifyOptions | None = None,
    *,
    build_root: str | os.PathLike[str] | None = None,
    phases: Sequence[tuple[str, int]] | None = None,
) -> VerifyReport:
    """Run one given stimulus through a design and score it (the engine of :func:`verify`).

    Parameters
    ----------
    design_dir
        Design directory.
    stimulus
        The family's stimulus (:class:`~hwgen.sim.stimulus.MacStimulus` for a MAC,
        :class:`~hwgen.sim.stimulus.GemmStimulus` for an array); its lane count sets the
        harness width (``options.lanes`` is not used).
    options
        As for :func:`verify` (``vectors``, ``exhaustive``, ``stress`` do not apply).
    build_root
        As for :func:`verify`.
    phases
        Recorded in the report only.

    Returns
    -------
    VerifyReport
    """
    opts = options if options is not None else VerifyOptions()
    ddir, man, config, bench = _load(design_dir)
    if not isinstance(stimulus, bench.stimulus_type):
        raise HwgenError(
            f"a {man.kind} design needs a {bench.stimulus_type.__name__}, "
            f"not a {type(stimulus).__name__}"
        )
    lanes = bench.lanes_of(stimulus)
    check_int("lanes", lanes, 1, MAX_LANES)
    root = (Path(build_root) if build_root is not None else default_build_root()).resolve()
    cache.prepare_dir(root, "the simulator build directory")
    sim, waves, fault = opts.sim, opts.waves, opts.fault
    t0 = time.perf_counter()
    expected = bench.expected(config, stimulus)
    arrays = bench.job_arrays(stimulus)
    timeout = bench.timeout_cycles(config, stimulus)
    golden_s = time.perf_counter() - t0
    b = build(ddir, sim=sim, lanes=lanes, build_root=root, waves=waves == Waves.ALWAYS, fault=fault)
    runs = root / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{man.top}-{sim}-", dir=runs))
    try:
        job, wave, run_s = _simulate(b, run_dir, bench.test_module, arrays, timeout)
        t1 = time.perf_counter()
        cap = job.load_capture()
        loop_s = float(cap["loop_seconds"])
        loop_cpu_s = float(cap["loop_cpu_seconds"]) if "loop_cpu_seconds" in cap else 0.0
        got = bench.collect(config, cap, stimulus)
        score = bench.score(config, stimulus, expected, got, max_report=opts.max_report)
        check_s = golden_s + time.perf_counter() - t1
        if not score.passed and waves == Waves.ON_FAILURE and score.first_position is not None:
            wb = build(ddir, sim=sim, lanes=lanes, build_root=root, waves=True, fault=fault)
            arrays = bench.job_arrays(bench.prefix(stimulus, score.first_position))
            wave_dir = run_dir / "waves"
            wave_dir.mkdir()
            _, wave, _ = _simulate(wb, wave_dir, bench.test_module, arrays, timeout)
    except BaseException:
        # Logs of a run that broke are worth keeping; an interrupted one is not.
        if not any(run_dir.glob("*.log")):
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    keep = not score.passed or wave is not None
    if not keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    if phases is None:
        phases = [("stimulus", score.checks)]
    return VerifyReport(
        design=man.top,
        kind=str(man.kind),
        sim=sim,
        lanes=lanes,
        seed=opts.seed,
        checks=score.checks,
        mismatches=score.mismatches,
        by_signal=score.by_signal,
        first_mismatches=tuple(str(m) for m in score.first),
        phases=tuple(phases),
        build_seconds=b.seconds,
        build_cached=b.cached,
        run_seconds=run_s,
        loop_seconds=loop_s,
        loop_cpu_seconds=loop_cpu_s,
        check_seconds=check_s,
        acc_error=score.acc_error,
        waves=wave,
        run_dir=run_dir if keep else None,
    )
