"""Tests of the operand streams, the activity-based energy and the table estimate."""

from __future__ import annotations

import numpy as np
import pytest

from hwgen.costmodel.activity import Distribution, operand_streams, parse_activity
from hwgen.costmodel.cost import CostOptions, estimate_cost
from hwgen.costmodel.tables import table_estimate
from hwgen.design.mac import MacConfig
from hwgen.emit import emit
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError
from hwgen.formats import get_format


def test_distribution_streams_are_quantized_codes() -> None:
    spec = parse_activity("laplace:zeros=0.5")
    assert spec.distribution is Distribution.LAPLACE and spec.zeros == 0.5
    a, w = operand_streams(spec, a_format="int8", w_format="fp8_e4m3", n=4000, seed=3)
    assert a.shape == w.shape == (4000,)
    # Absmax scaling: the largest magnitude maps to the format's largest finite value.
    vals = get_format("fp8_e4m3").decode(w)
    assert 0.45 < np.mean(vals == 0) < 0.56
    _, dense = operand_streams(
        parse_activity("laplace"), a_format="int8", w_format="fp8_e4m3", n=4000, seed=3
    )
    assert np.max(np.abs(get_format("fp8_e4m3").decode(dense))) == get_format("fp8_e4m3").max_abs
    again = operand_streams(spec, a_format="int8", w_format="fp8_e4m3", n=4000, seed=3)
    assert np.array_equal(a, again[0]) and np.array_equal(w, again[1])


def test_tensor_file_stream(tmp_path) -> None:
    path = tmp_path / "w.npy"
    np.save(path, np.linspace(-1, 1, 64).reshape(8, 8))
    spec = parse_activity(str(path))
    assert spec.file_sha256 is not None and spec.distribution is None
    a, w = operand_streams(spec, a_format="int4", w_format="int4", n=100, seed=0)
    assert sorted(get_format("int4").decode(w[:64])) == sorted(get_format("int4").decode(a[:64]))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gaussian:zeros=1.5", "activity zeros must be in [0, 1), not 1.5"),
        ("gaussian:sparse", "activity option must be zeros=F (0 <= F < 1), not 'sparse'"),
        ("missing.npy", "activity file 'missing.npy' does not exist"),
    ],
)
def test_bad_activity(text: str, message: str) -> None:
    with pytest.raises(HwgenError) as exc:
        parse_activity(text)
    assert str(exc.value) == message


def test_table_estimate_scales_with_width(tmp_path) -> None:
    m4 = emit(MacConfig(a_format="int4", w_format="int4"), tmp_path / "m4")
    m8 = Manifest.load(tmp_path / "m4")
    assert m4 == m8
    t4 = table_estimate(m4)
    assert t4 is not None and t4.energy_pj_per_mac == pytest.approx(0.2 * 16 / 64 + 0.1 * 20 / 32)


@pytest.mark.slow
def test_energy_per_mac_matches_opensta_and_depends_on_data(tmp_path, monkeypatch) -> None:
    """Gate-level energy of an INT4 MAC: within 10 % of OpenSTA; zeros cost less."""
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path / "cache"))
    emit(MacConfig(a_format="int4", w_format="int4"), tmp_path / "m")
    dense = estimate_cost(tmp_path / "m", CostOptions(activity="gaussian", macs=1000))
    d = dense.to_dict()
    assert d["energy_pj_per_mac"] == pytest.approx(
        d["energy_internal_pj_per_mac"]
        + d["energy_switching_pj_per_mac"]
        + d["energy_leakage_pj_per_mac"],
        rel=1e-4,
    )
    assert d["power_mw"] == pytest.approx(d["energy_pj_per_mac"] * 100 * 1e-3, rel=1e-4)
    _assert_split_matches_opensta(d)
    assert d["cycles_per_mac"] == 1 and d["clock_mhz"] == 100
    assert "verilator" in d["source"]["energy_pj_per_mac"]["tool"]
    sparse = estimate_cost(tmp_path / "m", CostOptions(activity="gaussian:zeros=0.75", macs=1000))
    assert sparse.energy_pj_per_mac < 0.8 * dense.energy_pj_per_mac


def _assert_split_matches_opensta(d: dict) -> None:
    """Internal, switching and leakage each within 10 % of OpenSTA at the same activity."""
    to_mw = d["clock_mhz"] * 1e-3  # pJ per MAC at one MAC per clock -> mW
    for ours, sta in (
        ("energy_internal_pj_per_mac", "opensta_internal_mw"),
        ("energy_switching_pj_per_mac", "opensta_switching_mw"),
        ("energy_leakage_pj_per_mac", "opensta_leakage_mw"),
    ):
        assert abs(d[ours] * to_mw / d[sta] - 1) < 0.10, (ours, d[ours] * to_mw, d[sta])
    assert abs(d["power_mw"] / d["opensta_power_mw"] - 1) < 0.10


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["int8", "fp8_e4m3"])
def test_energy_split_matches_opensta(tmp_path, monkeypatch, fmt: str) -> None:
    """INT8 and FP8 E4M3 MACs: each part of the energy within 10 % of OpenSTA."""
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path / "cache"))
    emit(MacConfig(a_format=fmt, w_format=fmt), tmp_path / "m")
    r = estimate_cost(tmp_path / "m", CostOptions(activity="gaussian", macs=400))
    _assert_split_matches_opensta(r.to_dict())
