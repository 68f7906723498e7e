"""Tests of the Liberty reader, hwgen's embedded library and its cell models."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from hwgen.costmodel.asic import DELAY_TARGET_PS, abc_constraints, asic_commands
from hwgen.costmodel.cost import CostOptions, estimate_cost
from hwgen.costmodel.liberty import EMBEDDED_CELL_MODELS, EMBEDDED_LIBRARY, embedded_library
from hwgen.costmodel.liberty.expr import parse_expr
from hwgen.costmodel.liberty.library import LibraryError, flow_cells, load_library
from hwgen.costmodel.liberty.make_embedded import CELLS, LIBRARY_NAME
from hwgen.costmodel.liberty.parse import LibertySyntaxError, parse, write
from hwgen.costmodel.synth import run_yosys
from hwgen.design.array import ArrayConfig
from hwgen.design.mac import MacConfig
from hwgen.emit import emit


def test_embedded_library_loads_offline_with_cited_numbers() -> None:
    lib = embedded_library()
    assert lib.name == LIBRARY_NAME
    assert lib.corner == "tt_025C_1v80" and lib.voltage_v == 1.8 and lib.temperature_c == 25
    assert set(lib.cells) == set(CELLS)
    # sky130_fd_sc_hd__nand2_1: area 3.7536 um2, pin A 0.002315 pF (copied unchanged).
    nand = lib.cells["hwgen_nand2"]
    assert nand.area_um2 == pytest.approx(3.7536)
    assert nand.pins["A"].cap_pf == pytest.approx(0.002315)
    header = EMBEDDED_LIBRARY.read_text()[:3000]
    for fact in ("sky130_fd_sc_hd", "tt_025C_1v80", "Apache License 2.0", "hwgen_nand2  <-"):
        assert fact in header
    need = flow_cells(lib)
    assert need.dff == "hwgen_dff" and need.tie_hi == ("hwgen_tie", "HI")


def test_write_parse_roundtrip_keeps_every_number() -> None:
    root = parse(EMBEDDED_LIBRARY.read_text())
    again = parse(write(root))
    assert write(again) == write(root)


def test_table_lookup_interpolates_and_extrapolates() -> None:
    arc = embedded_library().cells["hwgen_nand2"].pins["Y"].timing[0]
    t = arc.cell_rise
    # Exactly on a breakpoint: the table value (sky130 nand2_1 A->Y cell_rise [0][0]).
    assert t.lookup(slew=0.01, load=0.0005) == pytest.approx(0.0240063)
    mid = t.lookup(slew=0.01, load=(0.0005 + 0.00131655) / 2)
    assert t.lookup(slew=0.01, load=0.0005) < mid < t.lookup(slew=0.01, load=0.00131655)


def test_expressions_match_truth_tables() -> None:
    e = parse_expr("(!A1&!B1) | (!A2&!B1)")
    for a1 in (False, True):
        for a2 in (False, True):
            for b1 in (False, True):
                assert e.evaluate({"A1": a1, "A2": a2, "B1": b1}) == (not ((a1 and a2) or b1))
    assert parse_expr("A B'").evaluate({"A": True, "B": False}) is True


@pytest.mark.parametrize("gz", [False, True])
def test_user_library_copy_plain_and_gzipped(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("cells.lib.gz" if gz else "cells.lib")
    data = EMBEDDED_LIBRARY.read_bytes()
    path.write_bytes(gzip.compress(data) if gz else data)
    lib = load_library(path)
    assert set(lib.cells) == set(CELLS)


def test_library_that_does_not_parse(tmp_path: Path) -> None:
    bad = tmp_path / "bad.lib"
    bad.write_text('library (x) {\n  cell ("a") {\n    area : 1 ;\n')
    with pytest.raises(LibraryError) as exc:
        load_library(bad)
    assert str(exc.value) == (
        f"liberty file does not parse: {bad.resolve()}: line 4: "
        "unexpected end of file inside group 'cell'"
    )


def test_library_without_needed_cells(tmp_path: Path) -> None:
    root = parse(EMBEDDED_LIBRARY.read_text())
    root.items = [
        i for i in root.items if not (getattr(i, "kind", "") == "cell" and i.name == "hwgen_tie")
    ]
    path = tmp_path / "notie.lib"
    path.write_text(write(root))
    with pytest.raises(LibraryError) as exc:
        flow_cells(load_library(path))
    assert str(exc.value) == (
        f"liberty library {LIBRARY_NAME} ({path.resolve()}) lacks cells the ASIC flow needs: "
        "a tie-high cell (output function 1); a tie-low cell (output function 0)"
    )


def test_missing_library_file(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match=r"^liberty file not found: "):
        load_library(tmp_path / "nope.lib")


def test_not_liberty_at_all() -> None:
    with pytest.raises(LibertySyntaxError, match="expected 'library', found 'module'"):
        parse("module x; endmodule", source="x.v")


def test_cell_models_equal_the_liberty_functions(tmp_path: Path) -> None:
    """Yosys proves each hand-written model equivalent to its Liberty function."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copyfile(EMBEDDED_LIBRARY, work / "cells.lib")
    cells = sorted(CELLS)
    commands = ["design -reset", "read_liberty cells.lib"]
    commands += [f"rename {c} gold_{c}" for c in cells]
    commands += [f"read_verilog {EMBEDDED_CELL_MODELS.name}", "proc", "async2sync"]
    for c in cells:
        commands.append(f"miter -equiv -flatten -make_assert gold_{c} {c} miter_{c}")
        commands.append(f"sat -verify -prove-asserts -tempinduct -set-init-zero miter_{c}")
    commands.append("tee -q -o done.txt echo on")
    shutil.copyfile(EMBEDDED_CELL_MODELS, work / EMBEDDED_CELL_MODELS.name)
    # run_yosys reads the given Verilog first; the script resets and reads both itself.
    run_yosys([EMBEDDED_CELL_MODELS], commands, outputs=("done.txt",), workdir=work)


def test_abc_constraints_are_found_by_function() -> None:
    """Inputs driven by the flow inverter, outputs load one flip-flop data pin (in fF)."""
    lib = embedded_library()
    # sky130_fd_sc_hd__dfxtp_1 pin D: 0.001678 pF.
    assert abc_constraints(lib) == "set_driving_cell hwgen_inv\nset_load 1.6780\n"
    abc = [c for c in asic_commands("t", lib) if c.startswith("abc ")]
    assert abc == [
        f"abc -liberty cells.lib -constr abc.constr -D {DELAY_TARGET_PS} -dont_use *lpflow*"
    ]


FULL_SKY130 = Path("/work/shared/reference/liberty/sky130hd_tt.lib.gz")


@pytest.mark.slow
@pytest.mark.skipif(not FULL_SKY130.is_file(), reason="needs the full sky130 library (CI only)")
def test_embedded_library_tracks_the_full_library(tmp_path: Path, monkeypatch) -> None:
    """Area and critical path within 15 % of the full sky130_fd_sc_hd, same ranking.

    The 2x2 array is the design whose area-only mapping once put an overloaded
    ``a2111oi_0`` on the full library's critical path (0.80x); ``bench/bench_liberty.py``
    covers the wider set.
    """
    monkeypatch.setenv("HWGEN_CACHE_DIR", str(tmp_path / "cache"))
    designs = {
        "int4": MacConfig(a_format="int4", w_format="int4"),
        "fp4": MacConfig(a_format="fp4_e2m1", w_format="fp4_e2m1"),
        "array2x2": ArrayConfig(
            mac=MacConfig(a_format="int4", w_format="int4", max_terms=64), rows=2, cols=2
        ),
    }
    emb: dict[str, list[float]] = {"area_um2": [], "critical_path_ns": []}
    full: dict[str, list[float]] = {"area_um2": [], "critical_path_ns": []}
    for name, cfg in designs.items():
        emit(cfg, tmp_path / name)
        e = estimate_cost(tmp_path / name, CostOptions())
        f = estimate_cost(tmp_path / name, CostOptions(liberty=FULL_SKY130))
        for field in emb:
            emb[field].append(getattr(e, field))
            full[field].append(getattr(f, field))
            ratio = getattr(e, field) / getattr(f, field)
            assert abs(ratio - 1) < 0.15, (name, field, ratio)
    for field in emb:
        order_emb = sorted(range(len(designs)), key=lambda i: emb[field][i])
        order_full = sorted(range(len(designs)), key=lambda i: full[field][i])
        assert order_emb == order_full, (field, emb[field], full[field])
