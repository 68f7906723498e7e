"""``hwgen cost --json`` on every design family and target: which fields each gives.

A target reports the fields it can measure and leaves the others out (never zero). The
full matrix (families x targets, place and route) is slow; the default suite runs one
family on the cheap targets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hwgen.design.array import ArrayConfig
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.mac import MacConfig
from hwgen.emit import emit

CONFIGS = {
    "mac": MacConfig(a_format="int4", w_format="int4"),
    "mac-fp32acc": MacConfig(a_format="fp4_e2m1", w_format="fp4_e2m1", acc_format="fp32"),
    "array": ArrayConfig(
        mac=MacConfig(a_format="int4", w_format="int4", max_terms=64), rows=2, cols=2
    ),
    "bitmod_pe": BitmodPEConfig(dot=2, group_size=32),
}
ALWAYS = {"top", "target", "design_dir", "rtl_sha256", "source", "cells", "cell_counts", "ffs"}
#: Fields each target gives (besides ALWAYS); every other numeric field must be absent.
GIVES = {
    "asic": {
        "area_um2",
        "combinational_area_um2",
        "sequential_area_um2",
        "critical_path_ns",
        "fmax_mhz",
        "critical_path_start",
        "critical_path_end",
    },
    "generic": {"transistors"},
    "ice40": {"luts", "carries", "dsps", "brams", "preroute_critical_path_ns", "preroute_fmax_mhz"},
    "ecp5": {"luts", "carries", "dsps", "brams"},
    "xilinx": {"luts", "carries", "dsps", "brams"},
}
PNR = {"fmax_mhz", "critical_path_ns", "pnr_fmax_mhz_seeds", "placed_cells", "device"}
TABLE = {"table_energy_pj_per_mac", "table_area_um2"}  # MAC-style designs on asic
#: Fields that are counts of what exists: zero is a measurement (no DSP, no BRAM).
MAY_BE_ZERO = {"dsps", "brams", "carries"}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


class _Dirs(dict):
    """Design directories, emitted on first use."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def __missing__(self, key: str) -> Path:
        emit(CONFIGS[key], self.root / key)
        self[key] = self.root / key
        return self[key]


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> _Dirs:
    return _Dirs(tmp_path_factory.mktemp("families"))


def _cost(cli, ddir: Path, *args: str) -> dict:
    code, out, err = cli("cost", str(ddir), "--json", *args)
    assert code == 0, err
    return json.loads(out)


def _check_fields(d: dict, target: str, *, pnr: bool = False) -> None:
    expected = ALWAYS | GIVES[target] | (PNR if pnr else set())
    extra = set(d) - expected - (TABLE if target == "asic" else set())
    assert not extra, f"{target}: fields it cannot give: {sorted(extra)}"
    missing = expected - set(d)
    assert not missing, f"{target}: missing {sorted(missing)}"
    for k, v in d.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in MAY_BE_ZERO:
            assert v > 0, f"{target}: {k} = {v}"
    assert set(d["source"]) == set(d) - {"top", "target", "design_dir", "rtl_sha256", "source"}


def test_float_accumulator_mac_generic_fields(cli, dirs) -> None:
    d = _cost(cli, dirs["mac-fp32acc"], "--target", "generic")
    _check_fields(d, "generic")
    assert d["top"].startswith("mac_fp4_e2m1")


@pytest.mark.slow
@pytest.mark.parametrize("target", list(GIVES))
@pytest.mark.parametrize("family", list(CONFIGS))
def test_every_family_on_every_target(cli, dirs, family: str, target: str) -> None:
    d = _cost(cli, dirs[family], "--target", target)
    _check_fields(d, target)
    if target == "asic" and family.startswith("mac"):
        assert TABLE <= set(d)


@pytest.mark.slow
@pytest.mark.parametrize("target", ["ice40", "ecp5"])
@pytest.mark.parametrize("family", ["mac-fp32acc", "bitmod_pe"])
def test_place_and_route_fields(cli, dirs, family: str, target: str) -> None:
    d = _cost(cli, dirs[family], "--target", target, "--pnr")
    _check_fields(d, target, pnr=True)
    assert len(d["pnr_fmax_mhz_seeds"]) == 3 and d["source"]["fmax_mhz"]["seeds"] == [1, 2, 3]
