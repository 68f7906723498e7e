"""Tests of the FPGA place-and-route wrapper, nextpnr runs and the FuseSoC core file."""

from __future__ import annotations

import pytest

from hwgen.costmodel.cost import CostOptions, estimate_cost
from hwgen.costmodel.fpga import preroute_timing, synthesize_ice40
from hwgen.costmodel.pnr import PnrWrapper, wrapper_name
from hwgen.costmodel.synth import SynthTarget, synthesize
from hwgen.design.mac import MacConfig
from hwgen.emit import emit, to_verilog
from hwgen.emit.fusesoc import core_text, write_core
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError


@pytest.fixture(scope="module")
def int4(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("pnr") / "int4"
    emit(MacConfig(a_format="int4", w_format="int4"), d)
    return d


def test_wrapper_has_four_pins(int4) -> None:
    man = Manifest.load(int4)
    text = to_verilog(PnrWrapper(manifest=man), top=wrapper_name(man))
    header = text[text.index(f"module {wrapper_name(man)}") :].split(";", 1)[0]
    assert sorted(p.strip() for p in header.split("(", 1)[1].rstrip(")").split(",")) == [
        "clk",
        "rst",
        "sin",
        "sout",
    ]
    assert man.top in text


def test_fusesoc_core(int4) -> None:
    yaml = pytest.importorskip("yaml")
    path = write_core(int4)
    man = Manifest.load(int4)
    assert path.name == f"{man.name}.core"
    text = path.read_text()
    assert text.startswith("CAPI=2:\n") and text == core_text(int4)
    core = yaml.safe_load(text.split("\n", 1)[1])
    assert core["name"] == f"hwgen:designs:{man.name}:{man.hwgen_version}"
    assert core["filesets"]["rtl"]["files"] == list(man.verilog)
    assert core["targets"]["default"]["toplevel"] == man.top
    assert set(core["targets"]) == {"default", "lint", "ice40"}


@pytest.mark.slow
def test_one_ice40_run_equals_synthesis_plus_preroute(int4) -> None:
    top = Manifest.load(int4).top
    synth, timing = synthesize_ice40(int4, top, dsp=False)
    alone = synthesize(int4, top, SynthTarget.ICE40, dsp=False)
    assert (synth.cells, synth.luts, synth.ffs, synth.carries, synth.source) == (
        alone.cells,
        alone.luts,
        alone.ffs,
        alone.carries,
        alone.source,
    )
    assert timing == preroute_timing(int4, top, dsp=False)
    assert synth.luts > 0 and timing.critical_path_ns > 0


def test_pnr_needs_an_fpga_target() -> None:
    with pytest.raises(HwgenError, match=r"^--pnr needs --target ice40 or ecp5, not asic$"):
        CostOptions(pnr=True)


@pytest.mark.slow
def test_ice40_and_ecp5_place_and_route(int4, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path))
    ice = estimate_cost(int4, CostOptions(target="ice40", dsp=False, pnr=True)).to_dict()
    assert len(ice["pnr_fmax_mhz_seeds"]) == 3
    assert ice["fmax_mhz"] == sorted(ice["pnr_fmax_mhz_seeds"])[1]
    assert 40 < ice["fmax_mhz"] < 250 and ice["placed_cells"] >= ice["luts"]
    assert ice["source"]["fmax_mhz"]["seeds"] == [1, 2, 3]
    ecp5 = estimate_cost(int4, CostOptions(target="ecp5", pnr=True)).to_dict()
    assert ecp5["device"] == "ECP5 LFE5U-25F CABGA256" and ecp5["fmax_mhz"] > 40


@pytest.mark.slow
def test_dsp_design_does_not_fit_hx8k(int4, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path))
    emit(MacConfig(a_format="int8", w_format="int8"), tmp_path / "int8")
    with pytest.raises(HwgenError) as exc:
        estimate_cost(tmp_path / "int8", CostOptions(target="ice40", pnr=True))
    assert str(exc.value).startswith(
        "design mac_int8_x_int8_acc28_s0 does not fit the iCE40 HX8K ct256 (it has no DSP "
        "blocks: use --no-dsp): ERROR: Unable to place cell"
    )
