"""Tests of the OpenSTA power cross-check at measured per-net activity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwgen.costmodel import energy
from hwgen.costmodel.asic import synthesize_asic
from hwgen.costmodel.liberty import EMBEDDED_LIBRARY, embedded_library
from hwgen.costmodel.liberty.parse import parse
from hwgen.costmodel.sta_power import ACT_PREFIX, activity_library, weight_pin
from hwgen.tools.sources import design_sources

# A registered 3-input function: NAND/AOI-style gates with several arcs, and flip-flops.
RTL = """
module t(input clk, input a, input b, input c, output reg y, output reg z);
  always @(posedge clk) begin
    y <= ~((a & b) | c);
    z <= a ^ b;
  end
endmodule
"""


def test_activity_library_adds_roots_and_keeps_every_number() -> None:
    text = EMBEDDED_LIBRARY.read_text()
    alib = activity_library(text)
    orig = {c.name: c for c in parse(text).groups("cell")}
    new = {c.name: c for c in parse(alib.text).groups("cell")}
    assert orig.keys() == new.keys()
    nand = {p.name: p for p in new["hwgen_nand2"].groups("pin")}
    assert nand["Y"].attr("function") == f"{ACT_PREFIX}Y"
    assert nand[f"{ACT_PREFIX}Y"].attr("direction") == "input"
    assert [g.attr("when") for g in nand["Y"].groups("internal_power")] == [
        weight_pin("Y", 0),
        weight_pin("Y", 1),
    ]
    dff = {p.name: p for p in new["hwgen_dff"].groups("pin")}
    assert dff["Q"].attr("function") == "IQ"  # the state variable stays
    assert next(new["hwgen_dff"].groups("ff")).attr("next_state") == f"{ACT_PREFIX}Q"
    assert alib.act_pins["hwgen_dff"] == {f"{ACT_PREFIX}Q": "Q"}
    assert alib.act_pins["hwgen_tie"] == {}  # constant outputs need no activity
    # Every table and scalar of the original cells is still there, unchanged.
    for name, cell in orig.items():
        old_pins = {p.name: p for p in cell.groups("pin")}
        new_pins = {p.name: p for p in new[name].groups("pin")}
        assert cell.attr("area") == new[name].attr("area")
        for pname, p in old_pins.items():
            assert new_pins[pname].attr("capacitance") == p.attr("capacitance")
            old_t = [t.complex("values") for g in p.groups("timing") for t in g.groups()]
            new_t = [
                t.complex("values") for g in new_pins[pname].groups("timing") for t in g.groups()
            ]
            assert old_t == new_t


def test_opensta_prices_the_measured_activity_like_hwgen(tmp_path: Path) -> None:
    """A synthetic activity on every net: OpenSTA's split within 5 % of hwgen's pricing."""
    src = tmp_path / "t.v"
    src.write_text(RTL, encoding="utf-8")
    lib = embedded_library()
    synth = synthesize_asic(design_sources([src]), "t", lib)
    net = energy.netlist_of(synth)
    rng = np.random.default_rng(1)
    cycles, period = 200, 10_000
    # Inputs change at random clock edges; every cell output follows its inputs at once
    # (a zero-delay simulation): evaluate the netlist cycle by cycle.
    values: dict[str, np.ndarray] = {}
    for p in ("a", "b", "c"):
        values[p] = rng.integers(0, 2, cycles).astype(bool)
    values["rst"] = np.zeros(cycles, dtype=bool)
    for _ in range(8):  # settle the (shallow) logic and the registers
        for i in net.instances:
            cell = lib.cells[i.cell]
            for out in cell.outputs:
                if out not in i.pins:
                    continue
                n = net.net(i.pins[out])
                if cell.sequential:
                    d = values.get(net.net(i.pins["D"]), np.zeros(cycles, dtype=bool))
                    values[n] = np.concatenate(([False], d[:-1]))
                else:
                    fn = cell.pins[out].function
                    env = [
                        values.get(net.net(i.pins[p]), np.zeros(cycles, dtype=bool))
                        for p in cell.inputs
                    ]
                    rows = zip(*env, strict=True) if env else [()] * cycles
                    values[n] = np.array(
                        [fn.evaluate(dict(zip(cell.inputs, c, strict=True))) for c in rows],
                        dtype=bool,
                    )
    times = {
        n: (np.flatnonzero(v[1:] != v[:-1]) + 1).astype(np.int64) * period
        for n, v in values.items()
    }
    duty = {n: float(v.mean()) for n, v in values.items()}
    act = energy.NetActivity(times=times, duty=duty, cycles=cycles)
    ours = energy.price_activity(net, lib, act, clock_mhz=100.0)
    sta = energy.opensta_power(synth, net, act, clock="clk", clock_mhz=100.0)
    window_s = cycles / 100e6
    internal_mw = ours["internal_pj"] * 1e-12 / window_s * 1e3
    switching_mw = ours["switching_pj"] * 1e-12 / window_s * 1e3
    leakage_mw = ours["leakage_nw"] * 1e-6
    assert sta.internal_mw == pytest.approx(internal_mw, rel=0.05)
    assert sta.internal_raw_mw == pytest.approx(2 * sta.internal_mw)
    assert sta.switching_mw == pytest.approx(switching_mw, rel=0.05)
    assert sta.leakage_mw == pytest.approx(leakage_mw, rel=0.01)
