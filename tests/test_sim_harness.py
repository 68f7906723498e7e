# amaranth: UnusedElaboratable=no
"""The lane harness: Amaranth-generated Verilog around the emitted top module."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from amaranth.hdl import Shape

from hwgen.emit import emit
from hwgen.errors import HwgenError
from hwgen.manifest import Manifest
from hwgen.rtl.array import ArrayConfig
from hwgen.rtl.config import MacConfig
from hwgen.sim.harness import Fault, LaneHarness, harness_name, harness_verilog


@pytest.fixture(scope="module")
def mac_manifest(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    d = tmp_path_factory.mktemp("harness") / "mac"
    return emit(MacConfig(a_format="fp8_e4m3", w_format="int8", max_terms=16), d)


@pytest.fixture(scope="module")
def array_manifest(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    d = tmp_path_factory.mktemp("harness") / "array"
    cfg = ArrayConfig(mac=MacConfig(a_format="int8", w_format="int8", max_terms=8), rows=2, cols=3)
    return emit(cfg, d)


def test_mac_harness_instantiates_the_design_per_lane(mac_manifest: Manifest) -> None:
    v = harness_verilog(manifest=mac_manifest, lanes=4)
    top = harness_name(mac_manifest)
    assert re.search(rf"^module {top}\(", v, re.M)
    # The design itself is instanced, never redefined: the shipped Verilog is what runs.
    assert len(re.findall(rf"^\s*{mac_manifest.top} lane\d+ \(", v, re.M)) == 4
    assert f"module {mac_manifest.top}" not in v
    widths = {p.role: p.width for p in mac_manifest.ports}
    assert f"input [{4 * widths['a'] - 1}:0] a;" in v
    assert f"output [{4 * widths['acc'] - 1}:0] acc;" in v
    assert f"output [{4 * widths['flags'] - 1}:0] flags;" in v


def test_array_harness_shares_control(array_manifest: Manifest) -> None:
    h = LaneHarness(manifest=array_manifest, lanes=3)
    width = {name: Shape.cast(m.shape).width for name, m in h.signature.members.items()}
    w = {p.role: p.width for p in array_manifest.ports}
    assert width["a"] == 3 * w["a"]
    assert width["out_data"] == 3 * w["out_data"]
    assert width["valid"] == width["ready"] == width["lanes_agree"] == 1


def test_fault_flips_one_bit(mac_manifest: Manifest) -> None:
    clean = harness_verilog(manifest=mac_manifest, lanes=2)
    faulty = harness_verilog(manifest=mac_manifest, lanes=2, fault=Fault(lane=1, role="w", bit=3))
    assert clean != faulty
    assert re.search(r"~\s*w\[11\]", faulty)  # lane 1, bit 3 of an 8-bit port


def test_harness_rejects_bad_arguments(mac_manifest: Manifest, tmp_path: Path) -> None:
    with pytest.raises(HwgenError, match=r"^lanes must be >= 1, not 0$"):
        LaneHarness(manifest=mac_manifest, lanes=0)
    with pytest.raises(
        HwgenError, match=r"^fault role must be one of a, acc, clear, flags, valid, w"
    ):
        LaneHarness(manifest=mac_manifest, lanes=1, fault=Fault(lane=0, role="clk", bit=0))
    with pytest.raises(HwgenError, match=r"^fault bit must be in 0\.\.7, not 8$"):
        LaneHarness(manifest=mac_manifest, lanes=1, fault=Fault(lane=0, role="a", bit=8))
    with pytest.raises(HwgenError, match=r"^fault lane must be in 0\.\.1, not 2$"):
        LaneHarness(manifest=mac_manifest, lanes=2, fault=Fault(lane=2, role="a", bit=0))
