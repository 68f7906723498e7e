"""Atomic write of a design directory: all files appear at once, or none change."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from hwgen.errors import HwgenError, os_errors

__all__ = ["MANIFEST_NAME", "check_target", "write_atomically"]

MANIFEST_NAME = "manifest.json"


def check_target(out: Path, *, config_hash: str | None = None, force: bool = False) -> None:
    """Refuse an output path that is a file, a non-empty foreign directory, or another design.

    Parameters
    ----------
    out
        The design directory to be written.
    config_hash
        The new design's config hash; an existing design directory whose manifest has
        another hash (or cannot be read) is refused unless ``force`` (the same design is
        regenerated in place).
    force
        Replace a different design.

    Raises
    ------
    HwgenError
        ``out`` is a file, or a non-empty directory that holds no ``manifest.json``
        (refused so that no user files are deleted), or a different design.
    """
    with os_errors("write the design directory", out):
        _check_target(out)
        if config_hash is not None and not force and (out / MANIFEST_NAME).is_file():
            _check_same_design(out, config_hash)


def _check_same_design(out: Path, config_hash: str) -> None:
    try:
        old = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
        old_hash, old_name = old["config_hash"], old.get("name", "?")
    except (ValueError, KeyError, TypeError):
        raise HwgenError(
            f"output directory {out} holds a {MANIFEST_NAME} hwgen cannot read; "
            "give --force to replace it, or another directory"
        ) from None
    if old_hash != config_hash:
        raise HwgenError(
            f"output directory {out} holds a different design ({old_name}); "
            "give --force to replace it, or another directory"
        )


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise HwgenError(f"output path {out} is a file; give a directory path")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST_NAME).is_file():
        raise HwgenError(
            f"output directory {out} is not empty and holds no {MANIFEST_NAME}; "
            "refusing to overwrite it (give a new or empty directory)"
        )


def write_atomically(out: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` into a sibling temp dir, then swap it in for ``out``.

    Raises
    ------
    HwgenError
        The OS refuses the path (under a regular file, a read-only file system, ``/proc``,
        no permission, a busy mount point, no space): one line naming ``out`` and the OS's
        reason; nothing is left behind and an existing ``out`` is unchanged.
    """
    with os_errors("write the design directory", out):
        _write_atomically(out, files)


def _write_atomically(out: Path, files: Mapping[str, str]) -> None:
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=parent))
    # mkdtemp creates 0700; a design directory is an ordinary, shareable output.
    staging.chmod(0o755)
    old: Path | None = None
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8", newline="\n")
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            old.rmdir()
            out.rename(old)
        try:
            staging.rename(out)
        except OSError:
            if old is not None:
                old.rename(out)
                old = None
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
