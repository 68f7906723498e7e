"""Lint and compile checks of Verilog designs: Verilator ``--lint-only -Wall`` and Icarus.

Every generated design must pass ``verilator --lint-only -Wall`` with zero warnings and
compile in Icarus Verilog as Verilog-2005 (see ``docs/hardware.md``). These helpers run
both tools on a design directory (its ``files.f``) or on explicit files and return the
warnings, raising a typed error when the tool itself reports an error.

Both run in a scratch directory of their own (:mod:`hwgen.tools.scratch`): Icarus always
writes a compiled output file, and marks it executable, so it compiles into that directory
and never into ``/dev/null`` (as root, ``chmod`` on the device would break it for the
whole machine) or anywhere in the user's tree.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwgen._validate import check_enum, check_identifier
from hwgen.errors import HwgenError
from hwgen.tools import icarus, process, verilator
from hwgen.tools.scratch import scratch_dir
from hwgen.tools.sources import WAIVER_SUFFIX, DesignSources, design_sources

__all__ = [
    "DesignSources",
    "LintError",
    "LintResult",
    "VerilogGeneration",
    "design_sources",
    "icarus_compile",
    "verilator_lint",
]

#: A Verilator diagnostic header line: ``%Warning-WIDTHEXPAND: file:line:col: text``.
_VERILATOR_WARNING = re.compile(r"^%Warning(-[A-Z0-9_]+)?:")
_VERILATOR_ERROR = re.compile(r"^%Error(-[A-Z0-9_]+)?:")
LINT_TIMEOUT_S = 300.0
"""Tool runs are bounded so a hung tool cannot hang a test suite."""
ICARUS_OUTPUT = "lint.vvp"
"""Icarus' compiled output, inside the run's scratch directory."""


class VerilogGeneration(enum.StrEnum):
    """Language generation for Icarus (``iverilog -g<value>``)."""

    V2001 = "2001"
    V2005 = "2005"
    V2009 = "2009"
    V2012 = "2012"


class LintError(process.ToolError):
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


def _check_top(top: str) -> None:
    check_identifier("top", top)


def _run(
    argv: Callable[[Path], list[str]], *, env: dict[str, str] | None, tool: str
) -> process.ToolResult:
    """Run ``argv(scratch)`` with a fresh scratch directory as cwd (removed afterwards)."""
    # Files a tool drops into its cwd (Verilator's obj_dir) never touch the caller's tree.
    with scratch_dir(f"lint-{tool}") as scratch:
        try:
            return process.run(
                argv(scratch), tool=tool, cwd=scratch, env=env, timeout_s=LINT_TIMEOUT_S
            )
        except process.ToolError as exc:
            raise LintError(str(exc)) from None


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
        :func:`hwgen.tools.sources.design_sources`.
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
    binary = verilator.lint_binary()
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
    res = _run(lambda _: argv, env=env, tool="verilator")
    lines = (res.stderr + res.stdout).splitlines()
    errors = [line for line in lines if _VERILATOR_ERROR.match(line)]
    if errors or not res.ok:
        raise LintError(f"verilator lint of {top} failed: {res.error_line(_VERILATOR_ERROR)}")
    warnings = [line for line in lines if _VERILATOR_WARNING.match(line)]
    return LintResult(tool="verilator", warnings=warnings)


def _split_waivers(waivers: Sequence[str | os.PathLike[str]]) -> tuple[Path, ...]:
    paths = []
    for waiver in waivers:
        path = Path(waiver)
        if path.suffix.lower() != WAIVER_SUFFIX:
            raise HwgenError(f"waiver {path} must be a Verilator {WAIVER_SUFFIX} file")
        if not path.is_file():
            raise HwgenError(f"waiver file {path} does not exist")
        paths.append(path.resolve())
    return tuple(paths)


def icarus_compile(
    design_dir_or_files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    top: str,
    *,
    generation: VerilogGeneration | str = VerilogGeneration.V2005,
) -> LintResult:
    """Compile a design with Icarus Verilog (``iverilog -g<generation> -s top``).

    The compiled output goes to a scratch directory of this run and is deleted with it.

    Parameters
    ----------
    design_dir_or_files:
        A design directory or Verilog files, see :func:`hwgen.tools.sources.design_sources`
        (waiver files are ignored: they are Verilator-only).
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
    gen = check_enum("generation", VerilogGeneration, generation)
    _check_top(top)
    sources = design_sources(design_dir_or_files)
    binary = icarus.iverilog_binary()

    def argv(scratch: Path) -> list[str]:
        return [
            str(binary),
            f"-g{gen.value}",
            "-Wall",
            "-s",
            top,
            "-o",
            str(scratch / ICARUS_OUTPUT),
            *(f"-I{d}" for d in sources.include_dirs),
            *(str(p) for p in sources.verilog),
        ]

    res = _run(argv, env=None, tool="iverilog")
    lines = [line for line in (res.stderr + res.stdout).splitlines() if line.strip()]
    if not res.ok:
        detail = res.error_line(re.compile("error", re.IGNORECASE))
        raise LintError(f"iverilog compile of {top} failed: {detail}")
    warnings = [line for line in lines if "warning" in line.lower()]
    return LintResult(tool="iverilog", warnings=warnings)
