"""Tests of hwgen cost: the ASIC/generic/FPGA flows, the report, the cache and bad input."""

from __future__ import annotations

import gzip
import json
import shutil
import time
from pathlib import Path

import pytest

from hwgen.costmodel import cache
from hwgen.costmodel.cost import CostOptions, estimate_cost
from hwgen.costmodel.liberty import EMBEDDED_LIBRARY
from hwgen.costmodel.result import CostReport
from hwgen.design.array import ArrayConfig
from hwgen.design.mac import MacConfig
from hwgen.emit import emit
from hwgen.errors import HwgenError


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="module")
def designs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("designs")
    out = {}
    for name, cfg in {
        "int4": MacConfig(a_format="int4", w_format="int4"),
    }.items():
        emit(cfg, root / name)
        out[name] = root / name
    arr = ArrayConfig(mac=MacConfig(a_format="int4", w_format="int4", max_terms=64), rows=2, cols=2)
    emit(arr, root / "array")
    out["array"] = root / "array"
    return out


@pytest.fixture(scope="module")
def asic_int4(designs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> CostReport:
    return estimate_cost(designs["int4"], use_cache=False)


def test_asic_report_has_units_and_provenance(asic_int4: CostReport) -> None:
    r = asic_int4
    assert r.target == "asic"
    assert r.area_um2 == pytest.approx(r.combinational_area_um2 + r.sequential_area_um2)
    assert r.ffs == 20  # the 20-bit accumulator
    assert sum(r.cell_counts.values()) == r.cells
    assert all(c.startswith("hwgen_") for c in r.cell_counts)
    assert 0 < r.critical_path_ns < 20 and r.fmax_mhz == pytest.approx(
        1000 / r.critical_path_ns, rel=1e-3
    )
    assert "flip-flop" in r.critical_path_end
    d = r.to_dict()
    for k in ("top", "area_um2", "cells", "ffs", "fmax_mhz", "critical_path_ns"):
        assert k in d
    # Fields the target cannot give are absent, never zero.
    for k in ("luts", "carries", "dsps", "transistors", "energy_pj_per_mac", "power_mw"):
        assert k not in d
    src = d["source"]
    assert (
        src["area_um2"]["tool"].startswith("yosys ")
        and "tt_025C_1v80" in src["area_um2"]["library"]
    )
    assert src["fmax_mhz"]["tool"] == "opensta 2.0.17"
    assert "table" in src["table_energy_pj_per_mac"]["tool"]
    assert set(src) == set(d) - {"source", "top", "target", "design_dir", "rtl_sha256"}
    assert CostReport.from_dict(d) == r


@pytest.mark.slow
def test_int8_mac_no_larger_than_twice_int4(
    designs: dict[str, Path], asic_int4: CostReport
) -> None:
    emit(MacConfig(a_format="int8", w_format="int8"), designs["int4"].parent / "int8")
    r8 = estimate_cost(designs["int4"].parent / "int8")
    assert 1.5 < r8.area_um2 / asic_int4.area_um2 < 4.0


@pytest.mark.parametrize("gz", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_user_liberty_copy_gives_the_same_area(
    designs: dict[str, Path], asic_int4: CostReport, tmp_path: Path, gz: bool
) -> None:
    lib = tmp_path / ("mine.lib.gz" if gz else "mine.lib")
    data = EMBEDDED_LIBRARY.read_bytes()
    lib.write_bytes(gzip.compress(data) if gz else data)
    r = estimate_cost(designs["int4"], CostOptions(liberty=lib), use_cache=False)
    assert r.area_um2 == asic_int4.area_um2
    assert r.critical_path_ns == asic_int4.critical_path_ns


def test_repeated_query_is_cached_and_instant(designs: dict[str, Path], tmp_path: Path) -> None:
    first = estimate_cost(designs["int4"], cache_dir=tmp_path)
    t0 = time.perf_counter()
    again = estimate_cost(designs["int4"], cache_dir=tmp_path)
    assert time.perf_counter() - t0 < 0.5
    assert again == first
    assert cache.clear(root=tmp_path) == 1
    assert cache.clear(root=tmp_path) == 0


def test_cache_is_bounded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    for i in range(5):
        cache.put(cache.key_of({"i": i}), {"i": i}, root=tmp_path)
    kept = sorted(json.loads(p.read_text())["i"] for p in tmp_path.glob("??/*.json"))
    assert kept == [2, 3, 4]


def test_generic_and_ice40(designs: dict[str, Path]) -> None:
    g = estimate_cost(designs["int4"], CostOptions(target="generic")).to_dict()
    assert g["transistors"] > 0 and "luts" not in g and "area_um2" not in g
    ice = estimate_cost(designs["int4"], CostOptions(target="ice40", dsp=False)).to_dict()
    assert ice["luts"] > 0 and ice["dsps"] == 0 and ice["ffs"] == 20
    assert 0 < ice["preroute_critical_path_ns"] < 50
    assert "pre-route" in ice["source"]["preroute_fmax_mhz"]["note"]


def test_cli_json_and_table(cli, designs: dict[str, Path]) -> None:
    code, out, err = cli("cost", str(designs["int4"]), "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["top"] == "mac_int4_x_int4_acc20_s0" and d["area_um2"] > 0
    code, out, _ = cli("cost", str(designs["int4"]))
    assert code == 0 and "area_um2" in out and "[opensta 2.0.17]" in out


def _error(cli, *args: str) -> str:
    code, out, err = cli("cost", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    return err.strip()


def test_bad_input_messages(cli, designs: dict[str, Path], tmp_path: Path) -> None:
    assert _error(cli, str(tmp_path)) == (
        f"hwgen: error: {tmp_path.resolve()} has no manifest.json: not a generated design directory"
    )
    assert _error(cli, str(designs["int4"]), "--target", "vhdl") == (
        "hwgen: error: target must be one of asic, generic, ice40, ecp5, xilinx, not 'vhdl'"
    )
    bad = tmp_path / "bad.lib"
    bad.write_text("library (x) {")
    assert _error(cli, str(designs["int4"]), "--liberty", str(bad)) == (
        f"hwgen: error: liberty file does not parse: {bad.resolve()}: line 1: "
        "unexpected end of file inside group 'library'"
    )
    lib = tmp_path / "mine.lib"
    shutil.copyfile(EMBEDDED_LIBRARY, lib)
    assert _error(cli, str(designs["int4"]), "--liberty", str(lib), "--activity", "gaussian") == (
        "hwgen: error: cell models missing for library mine.lib: the energy simulation needs "
        "Verilog models of its cells (--cell-models FILE)"
    )
    assert _error(cli, str(designs["int4"]), "--activity", "cauchy") == (
        "hwgen: error: activity must be a distribution (gaussian, uniform, laplace) or a "
        "tensor file (.npy, .npz, .safetensors), not 'cauchy'"
    )
    assert _error(cli, str(designs["int4"]), "--no-dsp") == (
        "hwgen: error: --no-dsp applies to FPGA targets, not asic"
    )
    assert _error(cli, str(designs["array"]), "--activity", "gaussian") == (
        "hwgen: error: energy simulation drives MAC-style designs (input roles a, w, valid, "
        f"clear); design {json.loads((designs['array'] / 'manifest.json').read_text())['top']} "
        "(kind array) has input roles last, out_ready"
    )


def test_tool_failure_shows_its_message(tmp_path: Path, designs: dict[str, Path]) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(designs["int4"], broken)
    man = json.loads((broken / "manifest.json").read_text())
    (broken / man["verilog"][0]).write_text("module broken(input a; endmodule\n")
    with pytest.raises(HwgenError, match=r"^yosys ASIC synthesis of .* failed: .*ERROR"):
        estimate_cost(broken, use_cache=False)
