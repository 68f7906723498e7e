"""Tampered or hand-written manifests are refused before any simulation or costing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hwgen._validate import check_identifier, check_relative_path
from hwgen.design.mac import MacConfig
from hwgen.emit import emit
from hwgen.emit.check import check_design_dir, verilog_ports
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError

CONFIG = MacConfig(a_format="int4", w_format="int4")
TOP = CONFIG.name


@pytest.fixture(scope="module")
def design(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("design") / "d"
    emit(CONFIG, out)
    return out


def _tampered(design: Path, tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    ddir = tmp_path / "t"
    shutil.copytree(design, ddir)
    m = json.loads((ddir / "manifest.json").read_text())
    edit(m)
    (ddir / "manifest.json").write_text(json.dumps(m))
    return ddir


def _check(ddir: Path) -> None:
    check_design_dir(ddir, Manifest.load(ddir))


def _port(m: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in m["ports"] if p["name"] == name)


def _set_port(name: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: _port(m, name).__setitem__(key, value)


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda m: m.__setitem__(key, value)


CASES = [
    (_set_port("a", "width", -1), "port 'a' width must be >= 1, not -1"),
    (_set_port("a", "width", 10**9), "(a) must be in 1..65536, not 1000000000"),
    (_set_port("a", "width", 100000), "(a) must be in 1..65536, not 100000"),
    (_set_port("a", "width", "4"), "port 'a' width must be an integer, not '4'"),
    (_set_port("a", "width", 4.0), "port 'a' width must be an integer, not 4.0"),
    (
        _set_port("a", "width", 5),
        "inconsistent manifest: ports[2].width is 5, but its config gives 4",
    ),
    (_set("latency", -1), "latency must be in 0..4096, not -1"),
    (_set("latency", 10**9), "latency must be in 0..4096, not 1000000000"),
    (_set("latency", 2), "inconsistent manifest: latency is 2, but its config gives 1"),
    (
        lambda m: m["accumulator"].__setitem__("max_terms", 0),
        "inconsistent manifest: accumulator.max_terms is 0, but its config gives 4096",
    ),
    (
        _set("verilog", ["/etc/passwd"]),
        "verilog[0] must be a path relative to the design directory, not '/etc/passwd'",
    ),
    (
        _set("verilog", ["../../etc/passwd"]),
        "verilog[0] must stay inside the design directory, not '../../etc/passwd'",
    ),
    (_set("verilog", []), "verilog must list at least one file"),
    (
        _set("top", "x; touch PWNED"),
        "top must be a Verilog identifier (letters, digits, _), not 'x; touch PWNED'",
    ),
    (
        _set_port("a", "name", "a b"),
        "ports[2].name must be a Verilog identifier (letters, digits, _), not 'a b'",
    ),
    (
        _set("a_format", "int8"),
        "inconsistent manifest: a_format is 'int8', but its config gives 'int4'",
    ),
]


@pytest.mark.parametrize(("edit", "message"), CASES)
def test_tampered_manifest_is_refused(design, tmp_path, edit, message):
    ddir = _tampered(design, tmp_path, edit)
    with pytest.raises(HwgenError) as info:
        _check(ddir)
    text = str(info.value)
    assert text.startswith(f"{ddir / 'manifest.json'}: ")
    assert message in text
    assert "\n" not in text
    assert "overflow" not in text  # never sent the wrong way


def test_missing_verilog_file(design, tmp_path):
    ddir = _tampered(design, tmp_path, lambda m: None)
    (ddir / f"{TOP}.v").unlink()
    with pytest.raises(HwgenError) as info:
        _check(ddir)
    assert str(info.value) == f"{ddir / 'manifest.json'}: file '{TOP}.v' is missing from {ddir}"


def test_symlink_out_of_the_directory(design, tmp_path):
    ddir = _tampered(design, tmp_path, lambda m: None)
    (tmp_path / "elsewhere.v").write_text((ddir / f"{TOP}.v").read_text())
    (ddir / f"{TOP}.v").unlink()
    (ddir / f"{TOP}.v").symlink_to(tmp_path / "elsewhere.v")
    with pytest.raises(HwgenError) as info:
        _check(ddir)
    assert str(info.value) == (
        f"{ddir / 'manifest.json'}: file '{TOP}.v' lies outside the design directory"
    )


def test_verilog_port_width_differs(design, tmp_path):
    ddir = _tampered(design, tmp_path, lambda m: None)
    v = ddir / f"{TOP}.v"
    v.write_text(v.read_text().replace("input [3:0] a;", "input [4:0] a;"))
    with pytest.raises(HwgenError) as info:
        _check(ddir)
    assert str(info.value) == (
        f"{ddir / 'manifest.json'}: port a is in 4 bits (signed=False) in the manifest but "
        "in 5 bits (signed=False) in the Verilog"
    )


def test_verilog_without_the_top_module(design, tmp_path):
    ddir = _tampered(design, tmp_path, lambda m: None)
    v = ddir / f"{TOP}.v"
    v.write_text(v.read_text().replace(f"module {TOP}(", "module other("))
    with pytest.raises(HwgenError) as info:
        _check(ddir)
    assert str(info.value) == f"{ddir}: no module {TOP} in the Verilog (modules: other)"


def test_other_file_list_of_the_same_module_passes(design, tmp_path):
    """A gate-level copy (netlist + cell models, other file names) is the same design."""
    ddir = _tampered(design, tmp_path, _set("verilog", ["netlist.v", "cells.v"]))
    (ddir / f"{TOP}.v").rename(ddir / "netlist.v")
    (ddir / "cells.v").write_text("module cell_x(a);\n  input a;\nendmodule\n")
    _check(ddir)
    v = ddir / "netlist.v"
    text = v.read_text()
    assert "output signed [19:0] acc;" in text
    v.write_text(text.replace("output signed [19:0] acc;", "output [19:0] acc;"))
    _check(ddir)  # a netlist drops `signed` from its ports: the same bits
    v.write_text(text.replace("input [3:0] a;", "input [4:0] a;"))
    with pytest.raises(HwgenError, match="port a is in 4 bits"):
        _check(ddir)


def test_generated_design_passes_and_ports_parse(design):
    assert _check(design) is None
    ports = verilog_ports((design / f"{TOP}.v").read_text(), TOP)
    want = [(p.name, str(p.dir), p.width, p.signed) for p in CONFIG.ports()]
    assert sorted(ports) == sorted(want)


def test_injection_through_the_cli_runs_nothing(design, tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ddir = _tampered(design, tmp_path, _set("top", "x; touch PWNED"))
    code, out, err = cli("verify", str(ddir), "--build-dir", str(tmp_path / "b"))
    assert (code, out) == (2, "")
    assert err == (
        f"hwgen: error: {ddir / 'manifest.json'}: top must be a Verilog identifier "
        "(letters, digits, _), not 'x; touch PWNED'\n"
    )
    assert not (tmp_path / "PWNED").exists()
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("bad", ["", "1a", "a b", "a;b", "!sh", "a$b", "x" * 256, 3, None])
def test_check_identifier_refuses(bad):
    with pytest.raises(HwgenError):
        check_identifier("top", bad)


@pytest.mark.parametrize(
    "bad", ["", "/abs.v", "../x.v", "a/../../x.v", ".hidden.v", "-o.v", "a b.v", "a;b.v", 3]
)
def test_check_relative_path_refuses(bad):
    with pytest.raises(HwgenError):
        check_relative_path("verilog[0]", bad)


@pytest.mark.parametrize("good", ["x.v", "sub/x.v", "mac_int4-x.v"])
def test_check_relative_path_accepts(good):
    assert check_relative_path("verilog[0]", good) == good
