"""Verify a generated design directory in an HDL simulator against the golden model.

``verify(design_dir, sim=..., vectors=..., seed=...)`` reads ``manifest.json``, builds a
multi-lane harness around the shipped Verilog (cached, see :mod:`hwgen.sim.runner`), generates
the stimulus and the golden outputs up front (numpy, :mod:`hwgen.golden`), runs the
cocotb bench and scores every sampled output.

MAC designs get three phases, every lane an independent MAC:

* ``exhaustive`` -- every (a, w) code pair as a single-product accumulation, when the pair
  space has at most 2**16 entries;
* ``extreme`` -- ``max_terms`` copies of each extreme product, then ``max_terms`` of the
  opposite sign: reaches the sized bound of an exact accumulator and overflows a narrow
  wrap / saturate one (skipped when ``max_terms`` > :data:`EXTREME_MAX_TERMS`);
* ``random`` -- ``vectors`` random cycles (all codes, specials included) with random valid
  gaps and clears, accumulations up to ``max_terms`` long.

Array designs get random tiles of random depth (``vectors`` MACs at full speed) followed by
a stressed part (idle beats, random ``out_ready`` backpressure).

When a run fails and waves are ``on-failure``, the stimulus up to the first failure is run
again on a tracing build and the waveform path is reported (tracing slows Verilator, so
passing runs never pay for it).
"""

from __future__ import annotations

import enum
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hwgen.errors import HwgenError
from hwgen.manifest import DesignKind, Manifest
from hwgen.sim.expect import Arithmetic, gemm_expected, mac_expected
from hwgen.sim.job import JOB_ENV, Job
from hwgen.sim.packing import unpack_lanes
from hwgen.sim.runner import SimBuild, Simulator, build, run
from hwgen.sim.scoreboard import Score, score_gemm, score_mac
from hwgen.sim.stimulus import (
    GemmStimulus,
    MacStimulus,
    exhaustive_pairs,
    extreme_accumulation,
    random_accumulation,
    random_gemm,
)

if TYPE_CHECKING:
    from hwgen.sim.harness import Fault

DEFAULT_VECTORS = 1 << 18
"""Random MAC cycles (MAC designs) or MACs (arrays) checked by default."""
MAC_LANES = {"verilator": 256, "icarus": 16}
"""Default MAC instances per harness, per simulator (measured fastest per check): Verilator
does 256 lanes per clock almost as fast as 64, so 2**16 operand pairs take 256 clocks;
Icarus slows down on very wide buses and checks most per second at about 16 lanes."""
ARRAY_LANES = 1
"""Default arrays per harness (one array already checks R x C MACs per clock)."""
MAX_LANES = 256
"""Most instances a harness may hold."""
EXHAUSTIVE_MAX_BITS = 16
"""Largest ``a.bits + w.bits`` verified exhaustively."""
EXTREME_MAX_TERMS = 8192
"""Largest ``max_terms`` for which the extreme phase runs (it takes 2 x max_terms clocks)."""
DEFAULT_BUILD_ROOT = Path("sim_build")
"""Build cache used when none is given (relative to the working directory)."""


class Waves(enum.StrEnum):
    """When to record a waveform."""

    NEVER = "never"
    ON_FAILURE = "on-failure"
    ALWAYS = "always"


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
    build_seconds, build_cached
        Harness build time (0 when reused from the cache).
    run_seconds
        Wall time of the simulator run (process start to results).
    loop_seconds
        Wall time of the bench's clock loop alone (no process start, packing or saving).
    check_seconds
        Golden model + scoring time.
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
    build_seconds: float = 0.0
    build_cached: bool = False
    run_seconds: float = 0.0
    loop_seconds: float = 0.0
    check_seconds: float = 0.0
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

    def summary(self) -> str:
        """Multi-line human summary."""
        build = "cached" if self.build_cached else f"{self.build_seconds:.2f} s"
        phases = ", ".join(f"{n} {c:,}" for n, c in self.phases)
        lines = [
            f"design      {self.design} ({self.kind})",
            f"simulator   {self.sim} ({self.lanes} lanes)",
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
            f"result      {'PASS' if self.passed else 'FAIL'}",
        ]
        if self.first_mismatches:
            lines.append("first mismatches:")
            lines += [f"  {m}" for m in self.first_mismatches]
        if self.waves is not None:
            lines.append(f"waves       {self.waves}")
        return "\n".join(lines)


def _mac_stimulus(
    arith: Arithmetic, man: Manifest, *, lanes: int, vectors: int, seed: int, exhaustive: bool
) -> tuple[MacStimulus, list[tuple[str, int]]]:
    rng = np.random.default_rng(seed)
    max_terms = man.accumulator.max_terms
    parts: list[tuple[str, MacStimulus]] = []
    if exhaustive and arith.a.bits + arith.w.bits <= EXHAUSTIVE_MAX_BITS:
        parts.append(("exhaustive", exhaustive_pairs(arith.a, arith.w, lanes=lanes)))
    if max_terms <= EXTREME_MAX_TERMS:
        parts.append(
            ("extreme", extreme_accumulation(arith.a, arith.w, lanes=lanes, max_terms=max_terms))
        )
    if vectors > 0:
        cycles = -(-vectors // lanes)
        parts.append(
            (
                "random",
                random_accumulation(
                    arith.a, arith.w, lanes=lanes, cycles=cycles, max_terms=max_terms, rng=rng
                ),
            )
        )
    if not parts:
        raise HwgenError(
            "nothing to check: vectors=0, and the exhaustive and extreme phases do not apply "
            f"to {arith.a.name} x {arith.w.name} with max_terms={max_terms}"
        )
    stim = parts[0][1]
    for _, p in parts[1:]:
        stim = stim.concat(p)
    return stim, [(n, p.lanes * p.cycles) for n, p in parts]


def _check_args(vectors: int, lanes: int | None, seed: int) -> None:
    if isinstance(vectors, bool) or not isinstance(vectors, int) or vectors < 0:
        raise HwgenError(f"vectors must be an integer >= 0, not {vectors!r}")
    if lanes is not None and not 1 <= lanes <= MAX_LANES:
        raise HwgenError(f"lanes must be in 1..{MAX_LANES}, not {lanes}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise HwgenError(f"seed must be an integer >= 0, not {seed!r}")


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
    wave = run(b, test_module=test_module, run_dir=run_dir, env={JOB_ENV: str(path)})
    return job, wave, time.perf_counter() - t0


def _mac_arrays(stim: MacStimulus) -> dict[str, np.ndarray]:
    return {"a": stim.a, "w": stim.w, "valid": stim.valid, "clear": stim.clear}


def _gemm_arrays(stim: GemmStimulus) -> dict[str, np.ndarray]:
    return {
        "a": stim.a,
        "w": stim.w,
        "last": stim.last,
        "gap": stim.gap,
        "out_ready": stim.out_ready,
        "stress_from": np.asarray(stim.stress_from),
    }


def _gemm_timeout(man: Manifest, stim: GemmStimulus) -> int:
    # Generous: every beat, every idle beat, every row at the pattern's ready rate, the
    # pipeline latency, all doubled; a hung handshake then ends the run instead of the test.
    ready_rate = max(float(np.mean(stim.out_ready)), 0.05)
    rows = stim.tiles * (man.array.rows if man.array else 1)
    return int(2 * (stim.beats + int(stim.gap.sum()) + rows / ready_rate + man.latency) + 64)


def _mac_got(
    man: Manifest, cap: Mapping[str, np.ndarray], stim: MacStimulus
) -> dict[str, np.ndarray]:
    out_lat = man.output.latency if man.output is not None else 0
    got: dict[str, np.ndarray] = {}
    for role, buf in cap.items():
        if role == "loop_seconds":
            continue
        p = man.port(role)
        start = man.latency + (out_lat if role == "out" else 0)
        vals = unpack_lanes(
            buf[start : start + stim.cycles], lanes=stim.lanes, width=p.width, signed=role == "acc"
        )
        got[role] = vals.T
    return got


def _gemm_got(
    man: Manifest, cap: Mapping[str, np.ndarray], lanes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    cols = man.array.cols if man.array else 1
    acc_bits = man.accumulator.bits
    data = unpack_lanes(cap["out_data"], lanes=lanes * cols, width=acc_bits, signed=True)
    data = data.reshape(-1, lanes, cols)
    flags = None
    if "out_flags" in cap:
        fw = man.port("out_flags").width // cols
        flags = unpack_lanes(cap["out_flags"], lanes=lanes * cols, width=fw, signed=False)
        flags = flags.reshape(-1, lanes, cols)
    return cap["out_row"], data, flags


def _load(design_dir: str | os.PathLike[str]) -> tuple[Path, Manifest]:
    ddir = Path(design_dir)
    if not ddir.is_dir():
        raise HwgenError(f"design directory not found: {ddir}")
    if not (ddir / "manifest.json").is_file():
        raise HwgenError(
            f"{ddir} holds no manifest.json: not a design directory from hwgen generate"
        )
    return ddir, Manifest.load(ddir)


def verify(
    design_dir: str | os.PathLike[str],
    *,
    sim: Simulator | str = Simulator.VERILATOR,
    vectors: int = DEFAULT_VECTORS,
    seed: int = 0,
    waves: Waves | str = Waves.ON_FAILURE,
    lanes: int | None = None,
    build_root: str | os.PathLike[str] | None = None,
    exhaustive: bool = True,
    stress: bool = True,
    fault: Fault | None = None,
    max_report: int = 10,
) -> VerifyReport:
    """Simulate a design directory against the golden model.

    Parameters
    ----------
    design_dir
        Directory written by ``hwgen generate`` / :func:`hwgen.emit.emit`.
    sim
        ``verilator`` (fast, compiled) or ``icarus``.
    vectors
        MAC designs: random cycles per run (on top of the exhaustive and extreme phases);
        arrays: MACs streamed at full speed.
    seed
        Seed of the stimulus (same seed, same vectors).
    waves
        ``never``, ``on-failure`` (re-run up to the first failure with tracing) or
        ``always`` (trace the whole run).
    lanes
        Design instances in the harness (default for a MAC: 256 on Verilator, 16 on
        Icarus; 1 for an array).
    build_root
        Build cache directory (default ``./sim_build``).
    exhaustive
        Include the exhaustive pair phase (MAC, <= 16 operand bits).
    stress
        Arrays: add the backpressure / idle-beat phase.
    fault
        Flip one bit of one lane in the harness (negative control).
    max_report
        Mismatches to decode in the report.

    Returns
    -------
    VerifyReport

    Raises
    ------
    HwgenError
        No manifest in ``design_dir`` or bad arguments.
    ToolNotFoundError
        The simulator is not installed.
    """
    _check_args(vectors, lanes, seed)
    ddir, man = _load(design_dir)
    arith = Arithmetic.of(man)
    stim: MacStimulus | GemmStimulus
    if man.kind == DesignKind.MAC:
        stim, phases = _mac_stimulus(
            arith, man, lanes=lanes or MAC_LANES[Simulator(sim).value], vectors=vectors, seed=seed,
            exhaustive=exhaustive,
        )  # fmt: skip
    else:
        assert man.array is not None
        stim = random_gemm(
            arith.a, arith.w, rows=man.array.rows, cols=man.array.cols,
            lanes=lanes or ARRAY_LANES, macs=max(vectors, 1),
            max_terms=man.accumulator.max_terms, rng=np.random.default_rng(seed),
            stress_macs=max(vectors // 8, 1) if stress else 0,
        )  # fmt: skip
        phases = [("gemm", stim.macs)]
    return check(
        ddir, stim, sim=sim, waves=waves, build_root=build_root, fault=fault,
        max_report=max_report, seed=seed, phases=phases,
    )  # fmt: skip


def check(
    design_dir: str | os.PathLike[str],
    stimulus: MacStimulus | GemmStimulus,
    *,
    sim: Simulator | str = Simulator.VERILATOR,
    waves: Waves | str = Waves.ON_FAILURE,
    build_root: str | os.PathLike[str] | None = None,
    fault: Fault | None = None,
    max_report: int = 10,
    seed: int = 0,
    phases: Sequence[tuple[str, int]] | None = None,
) -> VerifyReport:
    """Run one given stimulus through a design and score it (the engine of :func:`verify`).

    Parameters
    ----------
    design_dir
        Design directory.
    stimulus
        :class:`~hwgen.sim.stimulus.MacStimulus` for a MAC design,
        :class:`~hwgen.sim.stimulus.GemmStimulus` for an array; its lane count sets the
        harness width.
    sim, waves, build_root, fault, max_report
        As for :func:`verify`.
    seed, phases
        Recorded in the report only.

    Returns
    -------
    VerifyReport
    """
    sim = Simulator(sim) if str(sim) in set(Simulator) else _bad_choice("sim", sim, Simulator)
    waves = Waves(waves) if str(waves) in set(Waves) else _bad_choice("waves", waves, Waves)
    ddir, man = _load(design_dir)
    arith = Arithmetic.of(man)
    is_mac = man.kind == DesignKind.MAC
    if is_mac != isinstance(stimulus, MacStimulus):
        raise HwgenError(
            f"a {man.kind} design needs a {'MacStimulus' if is_mac else 'GemmStimulus'}, "
            f"not a {type(stimulus).__name__}"
        )
    lanes = stimulus.lanes
    if not 1 <= lanes <= MAX_LANES:
        raise HwgenError(f"lanes must be in 1..{MAX_LANES}, not {lanes}")
    root = (Path(build_root) if build_root is not None else Path(DEFAULT_BUILD_ROOT)).resolve()
    t0 = time.perf_counter()
    if isinstance(stimulus, MacStimulus):
        mexp = mac_expected(arith, stimulus)
        arrays, module, timeout = _mac_arrays(stimulus), "hwgen.sim.tb_mac", 0
    else:
        gexp = gemm_expected(arith, stimulus)
        arrays, module = _gemm_arrays(stimulus), "hwgen.sim.tb_array"
        timeout = _gemm_timeout(man, stimulus)
    golden_s = time.perf_counter() - t0
    b = build(ddir, sim=sim, lanes=lanes, build_root=root, waves=waves == Waves.ALWAYS, fault=fault)
    runs = root / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{man.top}-{sim}-", dir=runs))
    job, wave, run_s = _simulate(b, run_dir, module, arrays, timeout)
    t1 = time.perf_counter()
    cap = job.load_capture()
    loop_s = float(cap["loop_seconds"])
    if isinstance(stimulus, MacStimulus):
        got = _mac_got(man, cap, stimulus)
        score: Score = score_mac(arith, stimulus, mexp, got, max_report=max_report)
    else:
        row, data, flags = _gemm_got(man, cap, lanes)
        score = score_gemm(arith, stimulus, gexp, row, data, flags, max_report=max_report)
    check_s = golden_s + time.perf_counter() - t1
    if not score.passed and waves == Waves.ON_FAILURE and score.first_position is not None:
        wb = build(ddir, sim=sim, lanes=lanes, build_root=root, waves=True, fault=fault)
        if isinstance(stimulus, MacStimulus):
            arrays = _mac_arrays(_mac_prefix(stimulus, score.first_position))
        else:
            arrays = _gemm_arrays(_gemm_prefix(stimulus, score.first_position))
        wave_dir = run_dir / "waves"
        wave_dir.mkdir()
        _, wave, _ = _simulate(wb, wave_dir, module, arrays, timeout)
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
        seed=seed,
        checks=score.checks,
        mismatches=score.mismatches,
        by_signal=score.by_signal,
        first_mismatches=tuple(str(m) for m in score.first),
        phases=tuple(phases),
        build_seconds=b.seconds,
        build_cached=b.cached,
        run_seconds=run_s,
        loop_seconds=loop_s,
        check_seconds=check_s,
        waves=wave,
        run_dir=run_dir if keep else None,
    )


def _bad_choice(name: str, value: object, enum_cls: type[enum.StrEnum]) -> enum.StrEnum:
    allowed = ", ".join(str(v) for v in enum_cls)
    raise HwgenError(f"{name} must be one of {allowed}, not {value!r}")


def _mac_prefix(stim: MacStimulus, cycle: int) -> MacStimulus:
    """The stimulus up to and including ``cycle`` (each lane starts with a clear)."""
    end = cycle + 1
    return MacStimulus(
        a=stim.a[:, :end], w=stim.w[:, :end], valid=stim.valid[:, :end], clear=stim.clear[:, :end]
    )


def _gemm_prefix(stim: GemmStimulus, tile: int) -> GemmStimulus:
    """The beats up to the end of ``tile``."""
    end = int(np.flatnonzero(stim.last)[min(tile, stim.tiles - 1)]) + 1
    return GemmStimulus(
        a=stim.a[:end],
        w=stim.w[:end],
        last=stim.last[:end],
        gap=stim.gap[:end],
        out_ready=stim.out_ready,
        stress_from=min(stim.stress_from, end),
    )
