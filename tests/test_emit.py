"""Verilog emission: design directory, lint-cleanliness, determinism, atomicity, synthesis."""

from __future__ import annotations

import json
import re

import pytest
from amaranth.hdl import Fragment, Shape
from amaranth.lib.wiring import Flow

from hwgen import emit as emit_mod
from hwgen.costmodel.synth import SynthTarget, synthesize
from hwgen.design.array import ArrayConfig
from hwgen.design.mac import MacConfig
from hwgen.emit import FILELIST_NAME, MANIFEST_NAME, emit
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError
from hwgen.tools.lint import icarus_compile, verilator_lint
from hwgen.tools.yosys import run_yosys

INT8_MAC = MacConfig(a_format="int8", w_format="int8")
SMALL_ARRAY = ArrayConfig(
    mac=MacConfig(a_format="fp8_e4m3", w_format="int8", max_terms=256), rows=2, cols=2
)

LINT_CONFIGS = [
    INT8_MAC,
    MacConfig(a_format="int8", w_format="int8", stages=2, acc_bits=20, overflow="saturate"),
    MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", out_format="fp16"),
    MacConfig(a_format="fp8_e5m2", w_format="fp8_e5m2", acc_bits=24, overflow="wrap"),
    MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", multiplier="lmul", stages=1),
    MacConfig(a_format="int8", w_format="fp4_e2m1"),
    MacConfig(a_format="flint4", w_format="bitmod_fp4_er_pos"),
    # Unsigned operands: the product's sign bit is constant 0 and must not dangle.
    MacConfig(a_format="uint8", w_format="uint8", stages=2, acc_bits=16, overflow="saturate"),
    SMALL_ARRAY,
    ArrayConfig(mac=MacConfig(a_format="fp8_e5m2", w_format="int4", stages=1), rows=3, cols=1),
]


@pytest.fixture(scope="module")
def int8_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("emit") / "int8"
    emit(INT8_MAC, out)
    return out


def test_design_directory_layout(int8_dir):
    top = INT8_MAC.name
    assert sorted(p.name for p in int8_dir.iterdir()) == sorted(
        [f"{top}.v", f"{top}.core", FILELIST_NAME, MANIFEST_NAME]
    )
    assert (int8_dir / FILELIST_NAME).read_text() == f"{top}.v\n"
    core = (int8_dir / f"{top}.core").read_text()
    assert core.startswith("CAPI=2:\n") and f'toplevel: "{top}"' in core
    text = (int8_dir / f"{top}.v").read_text()
    # One module, named after the file (Verilator DECLFILENAME), with clk and rst added.
    assert re.findall(r"^module (\S+)\(", text, flags=re.M) == [top]
    assert "/work/" not in text and "/tmp/" not in text and str(int8_dir) not in text


def test_manifest_describes_the_design(int8_dir):
    m = Manifest.load(int8_dir)
    component = INT8_MAC.create()
    Fragment.get(component, None)  # elaborated, as emit did
    assert m.kind == "mac"
    assert m.top == m.name == INT8_MAC.name
    assert m.verilog == (f"{INT8_MAC.name}.v",)
    assert m.config == INT8_MAC.to_dict()
    assert MacConfig.from_dict(dict(m.config)) == INT8_MAC
    assert m.latency == INT8_MAC.latency
    assert (m.accumulator.bits, m.accumulator.lsb_exp) == (
        INT8_MAC.accumulator.bits,
        INT8_MAC.accumulator.lsb_exp,
    )
    assert m.accumulator.overflow == str(INT8_MAC.overflow)
    assert m.flags is None and m.output is None and m.array is None
    ports = {p.name: p for p in m.ports}
    assert set(ports) == {"clk", "rst", *component.signature.members}
    for name, member in component.signature.members.items():
        assert ports[name].width == Shape.cast(member.shape).width
        assert ports[name].dir == ("in" if member.flow == Flow.In else "out")
    # Every port appears in the Verilog module header with that width.
    text = (int8_dir / f"{INT8_MAC.name}.v").read_text()
    for p in m.ports:
        rng = rf"\[{p.width - 1}:0\] " if p.width > 1 else ""
        decl = rf"^  {'input' if p.dir == 'in' else 'output'} (signed )?{rng}{p.name};$"
        assert re.search(decl, text, flags=re.M), decl


def test_array_manifest_has_shape_and_flags(tmp_path):
    cfg = ArrayConfig(mac=MacConfig(a_format="fp8_e5m2", w_format="int8"), rows=3, cols=2)
    m = emit(cfg, tmp_path / "arr")
    assert m.kind == "array"
    assert (m.array.rows, m.array.cols) == (3, 2)
    assert m.flags == {"nan": 0, "pinf": 1, "ninf": 2}
    assert m.port("out_data").width == 2 * m.accumulator.bits
    assert m.port("out_flags").width == 2 * 3
    assert m.port("out_row").width == 2
    assert m.latency == cfg.latency
    assert ArrayConfig.from_dict(dict(m.config)) == cfg


def test_output_info_for_float_conversion(tmp_path):
    cfg = MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", out_format="fp16")
    m = emit(cfg, tmp_path / "mac")
    assert m.output is not None
    assert (m.output.format, m.output.rounding) == ("fp16", "rne")
    assert m.port("out").width == 16


@pytest.mark.parametrize("cfg", LINT_CONFIGS, ids=lambda c: c.name)
def test_verilog_is_lint_clean_and_compiles(cfg, tmp_path):
    out = tmp_path / cfg.name
    emit(cfg, out)
    lint = verilator_lint(out, cfg.name)
    assert lint.warnings == []
    assert lint.clean
    assert icarus_compile(out, cfg.name).clean
    assert not list(out.glob("*.vlt")), "no waiver is needed"


def test_regeneration_is_byte_identical(tmp_path, int8_dir):
    again = tmp_path / "again"
    emit(INT8_MAC, again)
    for f in int8_dir.iterdir():
        assert (again / f.name).read_bytes() == f.read_bytes(), f.name
    # Regenerating in place replaces the directory with identical content.
    before = {f.name: f.read_bytes() for f in again.iterdir()}
    emit(INT8_MAC, again)
    assert {f.name: f.read_bytes() for f in again.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again"]  # no staging left over


def test_out_dir_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "taken"
    f.write_text("x")
    with pytest.raises(HwgenError, match=r"^output path .*taken is a file; give a directory path$"):
        emit(INT8_MAC, f)
    assert f.read_text() == "x"


def test_foreign_directory_is_not_overwritten(tmp_path):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "notes.txt").write_text("keep")
    with pytest.raises(HwgenError, match=r"is not empty and holds no manifest.json; refusing"):
        emit(INT8_MAC, d)
    assert (d / "notes.txt").read_text() == "keep"


def test_failure_leaves_nothing_half_written(tmp_path, monkeypatch, int8_dir):
    def broken(component, **kwargs):
        Fragment.get(component, None)  # fail after elaboration, as a Yosys error would
        raise HwgenError("yosys failed: simulated")

    monkeypatch.setattr(emit_mod.verilog, "to_verilog", broken)
    with pytest.raises(HwgenError, match="simulated"):
        emit(INT8_MAC, tmp_path / "new")
    assert list(tmp_path.iterdir()) == []
    # An existing design directory survives a failed regeneration untouched.
    before = {f.name: f.read_bytes() for f in int8_dir.iterdir()}
    with pytest.raises(HwgenError, match="simulated"):
        emit(INT8_MAC, int8_dir)
    assert {f.name: f.read_bytes() for f in int8_dir.iterdir()} == before


def test_failed_rename_restores_the_old_directory(tmp_path, monkeypatch):
    out = tmp_path / "d"
    emit(INT8_MAC, out)
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    real_rename = type(out).rename

    def flaky(self, target):
        if self.name.startswith(".d.new-"):
            raise OSError("disk full")
        return real_rename(self, target)

    monkeypatch.setattr(type(out), "rename", flaky)
    with pytest.raises(HwgenError, match=r"^cannot write the design directory .*/d: disk full$"):
        emit(INT8_MAC, out)
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


EQUIV_CONFIGS = [
    MacConfig(a_format="fp4_e2m1", w_format="int4", max_terms=16, stages=1),
    MacConfig(a_format="fp6_e3m2", w_format="fp4_e2m1", max_terms=8, out_format="fp8_e4m3"),
    ArrayConfig(mac=MacConfig(a_format="fp4_e2m1", w_format="int4", max_terms=8), rows=3, cols=2),
]


@pytest.mark.parametrize("cfg", EQUIV_CONFIGS, ids=lambda c: c.name)
def test_post_pass_preserves_behaviour(cfg, tmp_path):
    """Yosys proves the shipped Verilog equivalent to Amaranth's own RTLIL."""
    from amaranth.back import rtlil

    emit(cfg, tmp_path / "d")
    top = cfg.name
    gold = rtlil.convert(cfg.create(), name=top, emit_src=False)
    gate = (tmp_path / "d" / f"{top}.v").read_text()
    script = (
        f"read_rtlil gold.il; proc; flatten; rename {top} gold; design -stash gold; "
        f"read_verilog gate.v; proc; rename {top} gate; design -stash gate; "
        "design -copy-from gold -as gold gold; design -copy-from gate -as gate gate; "
        "equiv_make gold gate equiv; hierarchy -top equiv; async2sync; "
        "equiv_simple -seq 2; equiv_induct -seq 2; equiv_status -assert"
    )
    run = run_yosys(script, inputs={"gold.il": gold, "gate.v": gate})
    assert "Equivalence successfully proven!" in run.log


def test_run_yosys_reports_errors_in_one_line():
    with pytest.raises(HwgenError, match=r"^yosys failed: .*nope"):
        run_yosys("read_verilog nope.v", inputs={})


@pytest.mark.parametrize(
    "target",
    # Xilinx synthesis of the same MAC is also checked in test_costmodel_synth (default).
    [SynthTarget.ICE40, pytest.param(SynthTarget.XILINX, marks=pytest.mark.slow)],
)
def test_int8_mac_synthesizes(target, int8_dir):
    res = synthesize(int8_dir, INT8_MAC.name, target)
    assert res.luts and res.luts > 0
    assert res.ffs >= INT8_MAC.accumulator.bits


def test_small_array_synthesizes_ice40(tmp_path):
    out = tmp_path / "arr"
    emit(SMALL_ARRAY, out)
    res = synthesize(out, SMALL_ARRAY.name, SynthTarget.ICE40)
    # At least the four accumulators and their four output registers.
    assert res.ffs >= 8 * SMALL_ARRAY.accumulator.bits


@pytest.mark.slow
def test_small_array_synthesizes_xilinx(tmp_path):
    out = tmp_path / "arr"
    emit(SMALL_ARRAY, out)
    res = synthesize(out, SMALL_ARRAY.name, SynthTarget.XILINX)
    assert res.ffs >= 8 * SMALL_ARRAY.accumulator.bits
    assert res.luts and res.luts > 0


def test_manifest_json_is_the_documented_schema(int8_dir):
    d = json.loads((int8_dir / MANIFEST_NAME).read_text())
    assert d["schema"] == "hwgen.manifest/1"
    assert d["clock"] == "clk"
    assert d["reset"] == {
        "port": "rst",
        "polarity": "high",
        "synchronous": True,
        "clears": "all",
        "drops_in_flight": True,
    }
    assert d["waivers"] == []
