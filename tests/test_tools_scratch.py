"""hwgen.tools.scratch: every tool's temp dir under one root, swept when its owner is gone."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from hwgen.errors import HwgenError
from hwgen.tools import scratch


def test_scratch_dir_lives_under_the_root_and_is_removed() -> None:
    with scratch.scratch_dir("unit-test") as d:
        assert d.parent == scratch.scratch_root()
        assert d.parent == Path(tempfile.gettempdir()) / f"hwgen-{os.getuid()}"
        assert re.fullmatch(rf"unit-test-p{os.getpid()}-\d+-[0-9a-f]+", d.name)
        assert d.is_dir() and (d.stat().st_mode & 0o777) == 0o700
        (d / "file").write_text("x")
    assert not d.exists()
    assert (scratch.scratch_root().stat().st_mode & 0o777) == 0o700


def test_scratch_dir_is_removed_on_error() -> None:
    with pytest.raises(RuntimeError), scratch.scratch_dir("unit-test") as d:
        raise RuntimeError("boom")
    assert not d.exists()


def test_sweep_removes_directories_of_dead_owners() -> None:
    child = subprocess.Popen(["true"])
    child.wait()
    dead = scratch.scratch_root() / f"unit-test-p{child.pid}-123-abcd"
    dead.mkdir()
    (dead / "left-over").write_text("x")
    with scratch.scratch_dir("unit-test") as mine:
        removed = scratch.sweep()
        assert dead in removed and not dead.exists()
        assert mine.is_dir()  # the owner (this process) is alive


def test_sweep_leaves_foreign_names_alone() -> None:
    other = scratch.scratch_root() / "not-a-scratch-name"
    other.mkdir(exist_ok=True)
    try:
        scratch.sweep()
        assert other.is_dir()
    finally:
        other.rmdir()


def test_bad_purpose_is_rejected() -> None:
    with pytest.raises(HwgenError, match=r"^scratch purpose must be lower-case words"):
        scratch.make_scratch("Bad Name")


def test_root_that_is_not_ours_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / f"hwgen-{os.getuid()}").write_text("a file, not a directory")
    with pytest.raises(HwgenError, match=r"is not a directory owned by uid"):
        scratch.scratch_root()
