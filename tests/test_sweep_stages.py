"""The cost-flow, energy and workload stages, and the families they see (no tools run)."""

from __future__ import annotations

import pytest

from hwgen.costmodel.result import CostReport, Provenance
from hwgen.costmodel.workload import (
    ArraySpec,
    Cited,
    PeKind,
    PeSpec,
    Precision,
    workload_metrics,
)
from hwgen.costmodel.workload_presets import horowitz_memory, workload_preset
from hwgen.formats import get
from hwgen.quant import bits_per_weight
from hwgen.sweep.points import expand
from hwgen.sweep.spec import load_spec
from hwgen.sweep.stages import STAGES
from hwgen.sweep.stages.cost import FLOWS, CostFlow, report_result
from hwgen.sweep.stages.workload import PeEnergy, WorkloadOptions

SPEC = """[sweep]
name = "s"

[axes]
formats = ["int4:int4", "fp8_e4m3:fp8_e4m3"]
acc_format = ["none", "fp32"]

[fixed]
max_terms = 64

[[points]]
family = "bitmod_pe"
formats = "fp16:bitmod_fp4"

[[points]]
family = "bitmod_pe"
formats = "fp16:bitmod_fp3"

[[points]]
family = "array"
formats = "int4:int4"
array = "2x2"

[stages]
run = ["generate", "cost", "energy", "accuracy", "workload"]

[stages.cost]
targets = ["asic", "ice40"]

[workload.gemm]
shapes = [[64, 256, 128]]
array = [8, 8]
energy = "activity"
"""


@pytest.fixture
def spec(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text(SPEC)
    return load_spec(p)


def test_every_flow_has_an_entry():
    assert set(FLOWS) == set(CostFlow)


def test_instances_and_needs_follow_the_flows(spec):
    names = [i.name for i in spec.stages]
    assert names == ["generate", "cost.asic", "cost.ice40", "energy", "accuracy", "workload"]
    assert spec.instance("workload").needs == ("generate", "cost.asic", "energy")
    assert spec.instance("cost.asic").stage.tools(spec.instance("cost.asic").options) == (
        "yosys",
        "opensta",
    )
    cols = spec.columns()
    assert cols["asic_area_um2"].role == "area"
    assert cols["energy_pj_per_mac"].role == "energy"
    assert cols["workload_throughput_gmacs_per_s_mm2"].role == "throughput_per_area"
    assert "ice40_preroute_fmax_mhz" in cols and "ice40_fmax_mhz" not in cols


def test_pnr_adds_routed_fmax_and_nextpnr_to_the_key():
    opts = STAGES["cost"].instances(
        STAGES["cost"].parse(None).__class__(targets=("ice40", "asic"), pnr=True)
    )
    ice40, asic = opts
    assert ice40.options.pnr and not asic.options.pnr
    assert "ice40_fmax_mhz" in {ice40.column(c.key) for c in ice40.columns()}
    assert STAGES["cost"].tools(ice40.options) == ("yosys", "nextpnr-ice40")


def test_families_formats_and_classes(spec):
    points, skipped = expand(spec)
    assert not skipped
    by_family = {}
    for p in points:
        by_family.setdefault(p.family, []).append(p)
    # One BitMoD PE config serving two mixtures: two points (the mixture is part of the id).
    pes = by_family["bitmod_pe"]
    assert [p.operands for p in pes] == [("fp16", "bitmod_fp4"), ("fp16", "bitmod_fp3")]
    assert pes[0].config == pes[1].config and pes[0].point_id != pes[1].point_id
    assert all(p.design_class == "bitmod" and p.value("w_format") == p.operands[1] for p in pes)
    accs = sorted(str(p.config.get("acc_format")) for p in by_family["mac"])
    assert accs == ["None", "None", "fp32", "fp32"]


def test_energy_applies_to_mac_style_designs_only(spec):
    points, _ = expand(spec)
    energy = STAGES["energy"]
    reasons = {p.family: energy.applies(p, None) for p in points}
    assert reasons["mac"] is None
    assert reasons["bitmod_pe"].startswith("the energy bench drives MAC-style inputs")
    assert "meta" in reasons["bitmod_pe"]
    assert reasons["array"] is not None


def test_report_result_keeps_every_figure_and_its_source():
    yosys = Provenance(flow="synth", tool="yosys 0.70", library="lib")
    sta = Provenance(flow="report_checks", tool="opensta 2.0", library="lib", note="ideal clock")
    report = CostReport(
        top="t",
        target="asic",
        design_dir="/d",
        rtl_sha256="0" * 64,
        area_um2=12.5,
        cells=3,
        cell_counts={"nand": 3},
        fmax_mhz=250.0,
        sources={"area_um2": yosys, "cells": yosys, "fmax_mhz": sta},
    )
    out = report_result(report, {"source": ("area_um2",), "timing_source": ("fmax_mhz",),
                                 "table_source": ("table_area_um2",)})  # fmt: skip
    assert out["area_um2"] == 12.5 and out["fmax_mhz"] == 250.0 and out["cells"] == 3
    assert out["source"] == "synth; yosys 0.70; lib"
    assert out["timing_source"] == "report_checks; opensta 2.0; lib; ideal clock"
    assert "table_source" not in out and "design_dir" not in out


def _inputs(area=1000.0, fmax=500.0, table=0.25, energy=0.4):
    return {
        "generate": {},
        "cost.asic": {
            "area_um2": area,
            "fmax_mhz": fmax,
            "table_energy_pj_per_mac": table,
            "source": "asic synth",
            "table_source": "table",
        },
        "energy": {"energy_pj_per_mac": energy, "source": "gate-level"},
    }


def _expected(shapes, rows, cols, kind, dot, area, clock_mhz, energy, w, a, group=128):
    pe = PeSpec(
        kind=kind,
        area_um2=Cited(area, "um2", "x"),
        energy_pj_per_cycle=Cited(energy, "pJ", "x"),
        dot=dot,
    )
    arr = ArraySpec(rows=rows, cols=cols, pe=pe, clock_hz=Cited(clock_mhz * 1e6, "Hz", "x"))
    prec = Precision(
        weight_bits=bits_per_weight(get(w), group_size=group),
        act_bits=float(get(a).bits),
        out_bits=16.0,
        kv_bits=float(get(a).bits),
    )
    from hwgen.costmodel.workload import Workload

    wl = Workload.from_shapes("shapes", shapes)
    return workload_metrics(wl, arr, prec, horowitz_memory(512 * 1024))


def test_workload_metrics_of_each_family(spec, tmp_path):
    points, _ = expand(spec)
    stage = STAGES["workload"]
    opts = spec.instance("workload").options
    mac = next(p for p in points if p.family == "mac" and p.operands[0] == "int4")
    got = stage.run(mac, opts, _inputs(), None)
    want = _expected(((64, 256, 128),), 8, 8, PeKind.BIT_PARALLEL, 1, 1000.0, 500.0, 0.4,
                     "int4", "int4")  # fmt: skip
    assert got["cycles"] == want.cycles and got["macs"] == 64 * 256 * 128
    assert got["energy_pj"] == pytest.approx(want.energy_pj)
    assert got["area_mm2"] == pytest.approx(64 * 1000.0 / 1e6)
    assert got["throughput_gmacs_per_s_mm2"] == pytest.approx(
        want.macs / want.time_s / (want.area_um2 / 1e6) / 1e9
    )
    assert got["energy_source"] == "gate-level" and "design fmax" in got["source"]

    pe = next(p for p in points if p.family == "bitmod_pe")
    got = stage.run(pe, opts, _inputs(), None)
    want = _expected(((64, 256, 128),), 8, 8, PeKind.BITMOD, 4, 1000.0, 500.0, 0.4,
                     "bitmod_fp4", "fp16")  # fmt: skip
    assert got["cycles"] == want.cycles  # bit-serial: 2 cycles per FP4 weight, 4 lanes

    # The array family is its own array: the design's area spread over its PEs.
    arr = next(p for p in points if p.family == "array")
    got = stage.run(arr, opts, _inputs(area=4000.0), None)
    assert got["array"] == "2x2" and got["area_mm2"] == pytest.approx(4000.0 / 1e6)


def test_workload_without_an_energy_figure_reports_none(spec):
    opts = WorkloadOptions(preset="bert-base", energy=PeEnergy.TABLE)
    points, _ = expand(spec)
    pe = next(p for p in points if p.family == "bitmod_pe")
    inputs = _inputs()
    inputs["cost.asic"].pop("table_energy_pj_per_mac")  # the table prices MAC units only
    got = STAGES["workload"].run(pe, opts, inputs, None)
    assert "energy_pj" not in got and "compute_energy_pj" not in got
    assert got["energy_source"] == "no table estimate for bitmod_pe bitmod_fp4 designs"
    assert got["macs"] == workload_preset("bert-base").macs


def test_table_energy_is_not_used_for_a_float_accumulator(spec):
    opts = WorkloadOptions(preset="bert-base", energy=PeEnergy.TABLE)
    points, _ = expand(spec)
    fp32 = next(p for p in points if p.config.get("acc_format") == "fp32")
    fixed = next(p for p in points if p.family == "mac" and p.config.get("acc_format") is None)
    stage = STAGES["workload"]
    got = stage.run(fp32, opts, _inputs(), None)
    assert "energy_pj" not in got
    assert got["energy_source"].startswith("no table estimate for a float accumulator (fp32)")
    got = stage.run(fixed, opts, _inputs(table=0.25), None)
    assert got["energy_source"] == "table" and got["compute_energy_pj"] == pytest.approx(
        got["macs"] * 0.25
    )
