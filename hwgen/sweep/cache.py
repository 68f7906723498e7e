"""The content-addressed stage cache: one JSON record per (design point, stage instance).

A record lives at ``<out>/cache/<instance>/<key[:2]>/<key>.json`` where ``key`` is
:func:`stage_key`: the SHA-256 of everything the result depends on (the stage contract in
:mod:`hwgen.sweep.stages.base`). A record is written once, atomically (temp file in the
same folder, ``fsync``, ``os.replace``), so a reader sees either no record or a whole one,
whenever the writer is killed; a record that does not parse or does not match its key is
treated as missing and written again. Records of failures are kept too (the error and the
stage), so an unchanged re-run reports them without re-running them, and
``--retry-failed`` runs them again.

The cache only grows while specs change; ``hwgen sweep --prune-cache`` removes the records
the current spec no longer uses, and deleting ``<out>/cache`` is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwgen.sweep.points import DesignPoint, canonical_json
from hwgen.sweep.stages.base import StageInstance
from hwgen.sweep.versions import code_fingerprint, tool_versions

__all__ = [
    "CACHE_SCHEMA",
    "Cache",
    "Record",
    "atomic_write",
    "key_inputs",
    "result_hash",
    "stage_key",
]

CACHE_SCHEMA = 1
"""Bumped when the record layout or the key recipe changes (old records then miss)."""


def result_hash(result: Mapping[str, Any]) -> str:
    """SHA-256 of a stage result's canonical JSON (what downstream keys depend on)."""
    return hashlib.sha256(canonical_json(dict(result)).encode("ascii")).hexdigest()


def key_inputs(
    inst: StageInstance, point: DesignPoint, upstream: Mapping[str, str]
) -> dict[str, Any]:
    """Everything a stage instance's result depends on (the input of :func:`stage_key`).

    Parameters
    ----------
    inst
        The stage instance.
    point
        The design point.
    upstream
        Result hash of each instance in ``inst.needs``.
    """
    stage = inst.stage
    if stage.config_keys is None:
        config: Any = {"family": point.family, "config": dict(point.config)}
        if "a_format" not in point.config:
            config["formats"] = list(point.operands)
    else:
        config = {k: point.value(k) for k in stage.config_keys}
    modules = sorted({*stage.code, type(stage).__module__})
    return {
        "schema": CACHE_SCHEMA,
        "stage": inst.name,
        "options": inst.options.to_dict(),
        "config": config,
        "tools": tool_versions(stage.tools(inst.options)),
        "code": {m: code_fingerprint(m) for m in modules},
        "upstream": {n: upstream[n] for n in inst.needs},
    }


def stage_key(inst: StageInstance, point: DesignPoint, upstream: Mapping[str, str]) -> str:
    """The cache key of ``inst`` on ``point`` (see :func:`key_inputs`)."""
    text = canonical_json(key_inputs(inst, point, upstream))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Record:
    """One stage instance's outcome on one design point.

    Attributes
    ----------
    stage
        Instance name (``cost.ice40``).
    key
        Its cache key.
    point_id
        The point that first produced it (points with equal inputs share a record).
    status
        ``"ok"`` or ``"failed"``.
    result
        The stage's result dict (``ok``), else ``None``.
    error
        ``{"type": ..., "message": ...}`` (``failed``), else ``None``.
    seconds
        Wall time of the run that produced it.
    """

    stage: str
    key: str
    point_id: str
    status: str
    result: Mapping[str, Any] | None
    error: Mapping[str, str] | None
    seconds: float

    @property
    def ok(self) -> bool:
        """The stage succeeded."""
        return self.status == "ok"

    @property
    def result_hash(self) -> str:
        """Hash of the result (``ok`` records only)."""
        assert self.result is not None
        return result_hash(self.result)

    def to_json(self) -> str:
        """The record's file text."""
        return (
            json.dumps(
                {
                    "schema": CACHE_SCHEMA,
                    "stage": self.stage,
                    "key": self.key,
                    "point_id": self.point_id,
                    "status": self.status,
                    "result": self.result,
                    "error": self.error,
                    "seconds": self.seconds,
                },
                indent=1,
                sort_keys=True,
                allow_nan=False,
            )
            + "\n"
        )

    @classmethod
    def from_json(cls, text: str) -> Record:
        """Parse a record file (raises ``ValueError``/``KeyError``/``TypeError`` if bad)."""
        d = json.loads(text)
        if d["schema"] != CACHE_SCHEMA or d["status"] not in ("ok", "failed"):
            raise ValueError("unknown record schema or status")
        if (d["status"] == "ok") != isinstance(d["result"], dict):
            raise ValueError("record result does not match its status")
        return cls(
            stage=str(d["stage"]),
            key=str(d["key"]),
            point_id=str(d["point_id"]),
            status=str(d["status"]),
            result=d["result"],
            error=d["error"],
            seconds=float(d["seconds"]),
        )


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``path`` so that it is either absent, its old content, or all of ``data``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class Cache:
    """The record store under ``root`` (``<out>/cache``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, stage: str, key: str) -> Path:
        """Where the record of (``stage``, ``key``) lives."""
        return self.root / stage / key[:2] / f"{key}.json"

    def get(self, stage: str, key: str) -> Record | None:
        """The record, or ``None`` when absent or unusable."""
        p = self.path(stage, key)
        try:
            rec = Record.from_json(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if rec.key != key or rec.stage != stage:
            return None
        return rec

    def put(self, record: Record) -> Path:
        """Store ``record`` atomically; returns its path."""
        p = self.path(record.stage, record.key)
        atomic_write(p, record.to_json())
        return p

    def put_if_absent(self, record: Record) -> None:
        """Store ``record`` unless an identical key already has a record."""
        if not self.path(record.stage, record.key).is_file():
            self.put(record)

    def remove_stale_temp(self) -> int:
        """Delete temp files a killed writer left behind (call with the out dir locked)."""
        removed = 0
        if self.root.is_dir():
            for f in self.root.rglob(".*.tmp"):
                with contextlib.suppress(OSError):
                    f.unlink()
                    removed += 1
        return removed

    def prune(self, keep: Iterable[Path]) -> int:
        """Remove every record (and stray temp file) not in ``keep``; returns the count."""
        kept = {Path(p).resolve() for p in keep}
        removed = 0
        if not self.root.is_dir():
            return 0
        for f in sorted(self.root.rglob("*")):
            if f.is_file() and f.resolve() not in kept:
                f.unlink()
                removed += 1
        for d in sorted((p for p in self.root.rglob("*") if p.is_dir()), reverse=True):
            with contextlib.suppress(OSError):
                d.rmdir()
        return removed
