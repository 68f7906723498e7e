"""OpenSTA: finding the ``sta`` binary and running one Tcl script.

hwgen uses the OpenSTA of the Debian package ``opensta`` (a 2019 snapshot, version 2.0.17,
binary ``sta``; ``make setup`` installs it). Every run happens in a scratch directory of
:mod:`hwgen.tools.scratch` holding the inputs and the script; OpenSTA's report text comes
back on stdout.

OpenSTA does not stop on most errors: it prints ``Error: <file>, line N ...`` and goes on,
so :func:`run_sta` treats any ``Error:`` line as the failure and raises with it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hwgen.errors import ToolNotFoundError
from hwgen.tools import process
from hwgen.tools.scratch import scratch_dir

__all__ = ["TIMEOUT_S", "StaError", "StaRun", "run_sta", "sta_executable", "sta_version"]

TIMEOUT_S = 600.0
"""An OpenSTA run that takes longer is stopped."""
_ERROR = re.compile(r"^Error:")
_INSTALL = "sudo apt-get install -y opensta"


class StaError(process.ToolError):
    """OpenSTA failed; the message holds its ``Error:`` line."""


@dataclass(frozen=True, slots=True)
class StaRun:
    """A successful OpenSTA run: its stdout (the reports) and wall time."""

    stdout: str
    runtime_s: float


def sta_executable() -> str:
    """Path of OpenSTA's ``sta`` on PATH.

    Raises
    ------
    ToolNotFoundError
        OpenSTA is not installed (the message says how to install it).
    """
    found = shutil.which("sta")
    if found is None:
        raise ToolNotFoundError(f"OpenSTA (sta) not found: install it with `{_INSTALL}`")
    return found


@lru_cache(maxsize=1)
def sta_version() -> str:
    """``opensta <version>`` (e.g. ``opensta 2.0.17``), asked once per process."""
    with scratch_dir("sta-version") as tmp:
        res = process.run([sta_executable(), "-version"], tool="sta", cwd=tmp, timeout_s=30)
    text = (res.stdout or res.stderr).strip().splitlines()
    return f"opensta {text[0].strip()}" if text else "opensta (unknown version)"


def run_sta(
    script: str,
    *,
    inputs: Mapping[str, str | bytes],
    label: str,
    timeout_s: float = TIMEOUT_S,
) -> StaRun:
    """Run a Tcl script in a scratch directory holding ``inputs`` (name -> content).

    Paths in the script must be the relative names of ``inputs``.

    Raises
    ------
    StaError
        OpenSTA printed an ``Error:`` line, exited non-zero or timed out.
    ToolNotFoundError
        OpenSTA is not installed.
    """
    exe = sta_executable()
    with scratch_dir("sta") as tmp:
        for name, content in inputs.items():
            target = Path(tmp) / name
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        (Path(tmp) / "run.tcl").write_text(script + "\nexit\n", encoding="utf-8")
        try:
            res = process.run(
                [exe, "-no_init", "-no_splash", "-exit", "run.tcl"],
                tool="sta",
                cwd=tmp,
                timeout_s=timeout_s,
            )
        except process.ToolError as exc:
            raise StaError(f"{label} failed: {exc}") from None
    errors = [ln.strip() for ln in res.text().splitlines() if _ERROR.match(ln.strip())]
    if errors or not res.ok:
        raise StaError(f"{label} failed: {errors[0] if errors else res.error_line()}")
    return StaRun(stdout=res.stdout, runtime_s=round(res.seconds, 3))
