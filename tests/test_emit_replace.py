"""Generating into a directory that holds a different design is refused unless forced."""

from __future__ import annotations

import pytest

from hwgen.design.mac import MacConfig
from hwgen.emit import emit
from hwgen.errors import HwgenError

ONE = MacConfig(a_format="int4", w_format="int4")
TWO = MacConfig(a_format="int4", w_format="int4", stages=1)


def _snapshot(d):
    return {p.name: p.read_bytes() for p in d.iterdir()}


def test_different_design_is_refused_and_kept(tmp_path):
    out = tmp_path / "d"
    emit(ONE, out)
    before = _snapshot(out)
    with pytest.raises(HwgenError) as info:
        emit(TWO, out)
    assert str(info.value) == (
        f"output directory {out} holds a different design ({ONE.name}); "
        "give --force to replace it, or another directory"
    )
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["d"]


def test_same_design_regenerates_in_place_and_force_replaces(tmp_path):
    out = tmp_path / "d"
    emit(ONE, out)
    before = _snapshot(out)
    emit(ONE, out)
    assert _snapshot(out) == before
    assert emit(TWO, out, force=True).config_hash == TWO.config_hash
    assert f"{TWO.name}.v" in _snapshot(out)


def test_unreadable_manifest_is_refused(tmp_path):
    out = tmp_path / "d"
    out.mkdir()
    (out / "manifest.json").write_text("not json")
    with pytest.raises(HwgenError) as info:
        emit(ONE, out)
    assert str(info.value) == (
        f"output directory {out} holds a manifest.json hwgen cannot read; "
        "give --force to replace it, or another directory"
    )
    assert (out / "manifest.json").read_text() == "not json"


def test_cli_force(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["generate", "mac", "--a-format", "int4", "--w-format", "int4", "--out", "d"]
    assert cli(*args)[0] == 0
    code, out, err = cli(*args, "--stages", "1")
    assert (code, out) == (2, "")
    assert err == (
        f"hwgen: error: output directory d holds a different design ({ONE.name}); "
        "give --force to replace it, or another directory\n"
    )
    assert cli(*args, "--stages", "1", "--force")[0] == 0
