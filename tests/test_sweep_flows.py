"""The ASIC, energy and workload stages on real tools: what a change reruns, what they give."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from hwgen.sweep.runner import RunOptions, run_sweep
from hwgen.sweep.spec import load_spec

SPEC = """[sweep]
name = "flows"

[axes]
formats = ["int4:int4"]

[fixed]
max_terms = 16

[stages]
run = ["generate", "cost", "accuracy", "workload"]

[stages.cost]
targets = ["asic"]

[workload.accuracy]
weights = { dist = "student-t", seed = 0 }
activations = { dist = "gaussian", seed = 1, tokens = 64, channels = 256 }

[workload.gemm]
shapes = [[16, 64, 32]]
array = [4, 4]
"""


def _run(tmp_path, text, out):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return run_sweep(load_spec(p), out, RunOptions(jobs=1, progress="none"))


def _ran(res):
    return {k: v for k, v in res.stats.computed.items() if v}


def test_each_change_reruns_only_the_stages_it_touches(tmp_path):
    out = tmp_path / "out"
    first = _run(tmp_path, SPEC, out)
    assert _ran(first) == {"generate": 1, "cost.asic": 1, "accuracy": 1, "workload": 1}
    row = first.table.iloc[0]
    assert row["asic_area_um2"] > 0 and row["asic_fmax_mhz"] > 0
    assert row["asic_source"].startswith("synth") and "opensta" in row["asic_timing_source"]
    assert row["workload_cycles"] == 16 * 64 * 32 // 16  # one MAC per PE per cycle, full tiles
    assert row["workload_clock_mhz"] == pytest.approx(row["asic_fmax_mhz"])
    # The table energy of the ASIC flow prices the inference.
    assert row["workload_energy_pj"] > 0 and "table" in row["workload_energy_source"]

    # A workload option: only the workload stage.
    res = _run(tmp_path, SPEC.replace("array = [4, 4]", "array = [8, 4]"), out)
    assert _ran(res) == {"workload": 1}
    assert res.table.iloc[0]["asic_area_um2"] == row["asic_area_um2"]
    assert res.table.iloc[0]["workload_cycles"] == row["workload_cycles"] // 2

    # A new flow: only that flow (the workload reads cost.asic only: its record stays).
    res = _run(tmp_path, SPEC.replace('targets = ["asic"]', 'targets = ["asic", "generic"]'), out)
    assert _ran(res) == {"cost.generic": 1}
    assert res.table.iloc[0]["generic_transistors"] > 0

    # Unchanged: nothing runs.
    res = _run(tmp_path, SPEC, out)
    assert _ran(res) == {}
    _check_report_in_chromium(out, tmp_path)


def _check_report_in_chromium(out, tmp_path):
    """The report shows all three fronts (area, energy, throughput per area) and its tables."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (make setup installs it as root)")
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         (out / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    for front in ("area", "energy", "throughput_per_area"):
        assert f'<figure id="plot-{front}"><svg' in dom, front
        assert (out / f"pareto_{front}.png").read_bytes()[:4] == b"\x89PNG"
    assert 'id="results" data-sortable="ready"' in dom
    assert "workload_throughput_gmacs_per_s_mm2" in dom and "opensta" in dom


ENERGY_SPEC = SPEC.replace(
    'run = ["generate", "cost", "accuracy", "workload"]',
    'run = ["generate", "cost", "energy", "accuracy", "workload"]',
).replace("array = [4, 4]", 'array = [4, 4]\nenergy = "activity"') + (
    '\n[stages.energy]\nactivity = "uniform"\nmacs = 256\n'
)


@pytest.mark.slow  # one gate-level Verilator build of the netlist
def test_energy_stage_prices_the_workload(tmp_path):
    res = _run(tmp_path, ENERGY_SPEC, tmp_path / "out")
    row = res.table.iloc[0]
    assert row["status"] == "ok"
    e = row["energy_pj_per_mac"]
    assert e > 0
    assert row["energy_pj_per_mac"] == pytest.approx(
        row["energy_internal_pj_per_mac"]
        + row["energy_switching_pj_per_mac"]
        + row["energy_leakage_pj_per_mac"],
        rel=1e-3,
    )
    assert "gate-level simulation of 256 MACs" in row["energy_source"]
    # Compute energy of the inference = MACs x energy per MAC (bit-parallel, dot 1).
    assert row["workload_compute_energy_pj"] == pytest.approx(16 * 64 * 32 * e, rel=1e-6)
