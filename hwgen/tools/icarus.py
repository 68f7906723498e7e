"""Icarus Verilog: ``iverilog`` (compiler) and ``vvp`` (runtime) from the system packages."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from hwgen.errors import ToolNotFoundError

__all__ = ["INSTALL_HINT", "iverilog_binary", "search_path"]

INSTALL_HINT = "sudo apt-get update && sudo apt-get install -y iverilog"
COMPILE_TIMEOUT_S = 300.0
"""An ``iverilog`` compile that takes longer is stopped."""


def iverilog_binary() -> Path:
    """Path of ``iverilog``.

    Raises
    ------
    ToolNotFoundError
        When ``iverilog`` is not on ``PATH``.
    """
    found = shutil.which("iverilog")
    if found is None:
        raise ToolNotFoundError(
            f"iverilog not found on PATH: install Icarus Verilog ({INSTALL_HINT})"
        )
    return Path(found)


def search_path(needed_by: str) -> str:
    """``PATH`` for cocotb's Icarus runner (this interpreter's directory first).

    Raises
    ------
    ToolNotFoundError
        ``iverilog`` or ``vvp`` cannot be found.
    """
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    for prog in ("iverilog", "vvp"):
        if shutil.which(prog, path=path) is None:
            raise ToolNotFoundError(
                f"{prog} not found (needed by {needed_by}): install it with `{INSTALL_HINT}`"
            )
    return path
