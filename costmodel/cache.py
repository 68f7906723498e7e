"""A bounded, cleanable cache of cost results on disk.

Results live in ``<cache root>/cost/<k[:2]>/<k>.json`` where ``k`` is the SHA-256 of the
canonical JSON of the cache key: the RTL content hash, the flow, its options, the content
hashes of the library / cell models / activity file, and the tool versions. The cache root
is the user cache root shared with the simulator builds: ``$HWGEN_CACHE_DIR``, else
``$XDG_CACHE_HOME/hwgen``, else ``~/.cache/hwgen``.

The cache keeps at most :data:`MAX_ENTRIES` results; storing one more removes the least
recently used (by file modification time, which a hit refreshes). :func:`clear` empties it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwgen.emit.manifest import canonical_json

__all__ = ["MAX_ENTRIES", "cache_root", "clear", "get", "key_of", "put"]

MAX_ENTRIES = 2000
"""Most results kept (a result is a few kB)."""
SUBDIR = "cost"


def cache_root() -> Path:
    """``$HWGEN_CACHE_DIR``, ``$XDG_CACHE_HOME/hwgen`` or ``~/.cache/hwgen``, then ``cost/``."""
    env = os.environ.get("HWGEN_CACHE_DIR")
    if env:
        base = Path(env)
    elif os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"]) / "hwgen"
    else:
        base = Path.home() / ".cache" / "hwgen"
    return base / SUBDIR


def key_of(parts: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of ``parts``."""
    return hashlib.sha256(canonical_json(dict(parts)).encode("ascii")).hexdigest()


def _path(root: Path, key: str) -> Path:
    return root / key[:2] / f"{key}.json"


def get(key: str, *, root: Path | None = None) -> dict[str, Any] | None:
    """The stored result for ``key`` (and mark it recently used), or ``None``."""
    path = _path(root or cache_root(), key)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    os.utime(path)
    return data


def put(key: str, value: Mapping[str, Any], *, root: Path | None = None) -> None:
    """Store a result atomically, then trim the cache to :data:`MAX_ENTRIES`."""
    base = root or cache_root()
    path = _path(base, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(dict(value), fh, sort_keys=True)
    os.replace(tmp, path)
    _trim(base)


def _entries(base: Path) -> list[Path]:
    return [p for p in base.glob("??/*.json") if p.is_file()]


def _trim(base: Path) -> None:
    entries = _entries(base)
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime_ns)
    for p in entries[: len(entries) - MAX_ENTRIES]:
        p.unlink(missing_ok=True)


def clear(*, root: Path | None = None) -> int:
    """Remove every cached result; return how many were removed."""
    base = root or cache_root()
    entries = _entries(base) if base.is_dir() else []
    for p in entries:
        p.unlink(missing_ok=True)
    return len(entries)
