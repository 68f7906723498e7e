"""The user cache directory: where simulator builds live between runs.

``$HWGEN_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/hwgen``, else ``~/.cache/hwgen``. Never
the working directory or ``rtl_out/``: generated designs are outputs, builds are a cache.
``make clean`` empties it; :func:`evict` keeps simulator builds under a size budget.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from hwgen.errors import os_errors

__all__ = [
    "CACHE_ENV",
    "CacheEntry",
    "cache_root",
    "clean",
    "directory_bytes",
    "entries",
    "evict",
    "prepare_dir",
    "sim_build_root",
]

CACHE_ENV = "HWGEN_CACHE_DIR"
"""Environment variable that moves the whole cache."""
SIM_CACHE_LIMIT_ENV = "HWGEN_SIM_CACHE_MB"
"""Environment variable with the simulator-build budget in MiB (default 4096)."""
DEFAULT_SIM_CACHE_MB = 4096
_KEEP_RECENT_S = 600.0
"""A build used this recently is never evicted (another process may be running it)."""


def cache_root() -> Path:
    """The cache directory (not created)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "hwgen"


def sim_build_root() -> Path:
    """Default root of simulator builds: ``<cache>/sim``."""
    return cache_root() / "sim"


def prepare_dir(path: Path, what: str) -> Path:
    """Create ``path`` (a cache or build root) and prove it writable before any tool runs.

    Parameters
    ----------
    path
        The directory.
    what
        Names it in the message (``"the simulator build directory"``).

    Raises
    ------
    HwgenError
        The OS refuses to create or write it (read-only file system, a path under a regular
        file, ``/proc``, no permission): one line naming the path and the OS's reason.
    """
    with os_errors(f"use {what}", path):
        path.mkdir(parents=True, exist_ok=True)
        # A directory can exist yet refuse writes (a read-only mount): probe with a file.
        with tempfile.NamedTemporaryFile(prefix=".hwgen-probe-", dir=path):
            pass
    return path


def directory_bytes(path: Path) -> int:
    """Bytes of all regular files below ``path``."""
    total = 0
    for dirpath, _, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def evict(root: Path, *, stamp: str, limit_bytes: int | None = None) -> list[Path]:
    """Remove least recently used build directories of ``root`` until it fits the budget.

    A build directory is a subdirectory holding ``stamp`` (its mtime is the last use);
    builds used within the last ten minutes are kept whatever the size.

    Returns
    -------
    list of Path
        The removed directories.
    """
    if limit_bytes is None:
        limit_bytes = int(os.environ.get(SIM_CACHE_LIMIT_ENV, DEFAULT_SIM_CACHE_MB)) << 20
    if not root.is_dir():
        return []
    builds = []
    for d in root.iterdir():
        s = d / stamp
        if d.is_dir() and s.is_file():
            builds.append((s.stat().st_mtime, d, directory_bytes(d)))
    total = sum(size for _, _, size in builds)
    removed = []
    now = time.time()
    for mtime, d, size in sorted(builds):
        if total <= limit_bytes:
            break
        if now - mtime < _KEEP_RECENT_S:
            continue
        shutil.rmtree(d, ignore_errors=True)
        total -= size
        removed.append(d)
    return removed


@dataclass(frozen=True)
class CacheEntry:
    """One top-level item of the cache: a simulator build, a runtime cache or run logs.

    Attributes
    ----------
    path
        The directory (or file).
    size_bytes
        Bytes of its regular files.
    last_used
        Seconds since the epoch of its last use (its build stamp, else its mtime).
    """

    path: Path
    size_bytes: int
    last_used: float


def entries(root: Path | None = None, *, stamp: str = "hwgen_build.json") -> list[CacheEntry]:
    """The items of the cache below ``root`` (default :func:`cache_root`), largest first.

    Builds one level down (``sim/<build>``) are listed one by one; lock files are skipped.
    """
    base = cache_root() if root is None else root
    if not base.is_dir():
        return []
    out = []
    for area in sorted(base.iterdir()):
        items = sorted(area.iterdir()) if area.is_dir() and area.name == "sim" else [area]
        for item in items:
            if item.name.startswith(".") and item.name.endswith(".lock"):
                continue
            s = item / stamp
            used = (s if s.is_file() else item).stat().st_mtime
            size = directory_bytes(item) if item.is_dir() else item.stat().st_size
            out.append(CacheEntry(path=item, size_bytes=size, last_used=used))
    return sorted(out, key=lambda e: (-e.size_bytes, str(e.path)))


def clean(root: Path | None = None, *, keep_recent: bool = True) -> list[CacheEntry]:
    """Remove the cache's items; return what was removed.

    Parameters
    ----------
    root
        The cache (default :func:`cache_root`).
    keep_recent
        Keep items used within the last ten minutes (another hwgen process may be using
        them); ``False`` removes everything.

    Raises
    ------
    HwgenError
        The OS refuses to remove an item (one line naming it).
    """
    now = time.time()
    removed = []
    for e in entries(root):
        if keep_recent and now - e.last_used < _KEEP_RECENT_S:
            continue
        with os_errors("remove the cache entry", e.path):
            if e.path.is_dir() and not e.path.is_symlink():
                shutil.rmtree(e.path)
            else:
                e.path.unlink()
        removed.append(e)
    return removed
