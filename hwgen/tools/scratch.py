"""Temporary work directories of every tool run, under one hwgen temp root.

Every scratch directory hwgen makes lives in ``<tempfile.gettempdir()>/hwgen-<uid>/`` (mode
0700, owned by the user) and is named ``<purpose>-p<pid>-<start>-<random>`` after the
process that owns it (``<start>`` is the owner's start time, so a recycled pid does not
look alive). :func:`scratch_dir` removes its directory when the ``with`` block ends, however
it ends; a process killed with SIGKILL cannot, so the first scratch directory made by every
later hwgen process first sweeps (:func:`sweep`) the directories whose owner is gone.
Nothing a tool writes ever lands outside a directory made here (or the user's own output
and cache directories).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hwgen.errors import HwgenError

__all__ = ["make_scratch", "scratch_dir", "scratch_root", "sweep"]

_NAME = re.compile(
    r"^(?P<purpose>[a-z0-9_.]+(?:-[a-z0-9_.]+)*)-p(?P<pid>\d+)-(?P<start>\d+)-[0-9a-f]+$"
)
_PURPOSE = re.compile(r"^[a-z0-9_.]+(?:-[a-z0-9_.]+)*$")
_swept = False


def scratch_root() -> Path:
    """``<tempdir>/hwgen-<uid>``, created (0700) if missing.

    Raises
    ------
    HwgenError
        The path exists but is not a directory owned by this user (it would not be private).
    """
    root = Path(tempfile.gettempdir()) / f"hwgen-{os.getuid()}"
    try:
        root.mkdir(mode=0o700)
    except FileExistsError:
        pass
    st = root.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise HwgenError(
            f"hwgen's temp root {root} is not a directory owned by uid {os.getuid()}; "
            "remove it or set TMPDIR to another directory"
        )
    return root


def _start_time(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks since boot (Linux), ``None`` if not running."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return 0
    # Field 22; the command name (field 2) may hold spaces, so split after its ")".
    return int(text.rsplit(")", 1)[1].split()[19])


def _alive(pid: int, start: int) -> bool:
    if Path("/proc").is_dir():
        now = _start_time(pid)
        return now is not None and (start == 0 or now == start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _own_token() -> str:
    start = _start_time(os.getpid()) if Path("/proc").is_dir() else None
    return f"p{os.getpid()}-{start or 0}"


def sweep() -> list[Path]:
    """Remove scratch directories whose owning process has exited; return them."""
    root = scratch_root()
    removed = []
    for entry in root.iterdir():
        m = _NAME.match(entry.name)
        if m is None or _alive(int(m["pid"]), int(m["start"])):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def make_scratch(purpose: str) -> Path:
    """Create a scratch directory owned by this process (the caller removes it).

    Parameters
    ----------
    purpose
        Lower-case words joined by ``-`` (``"yosys"``, ``"lint-iverilog"``), the start of
        the directory name.
    """
    global _swept
    if not _PURPOSE.match(purpose):
        raise HwgenError(f"scratch purpose must be lower-case words joined by '-', not {purpose!r}")
    root = scratch_root()
    if not _swept:
        _swept = True
        sweep()
    path = root / f"{purpose}-{_own_token()}-{secrets.token_hex(4)}"
    path.mkdir(mode=0o700)
    return path


@contextlib.contextmanager
def scratch_dir(purpose: str) -> Iterator[Path]:
    """A scratch directory for the ``with`` block, removed when it ends."""
    path = make_scratch(purpose)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
