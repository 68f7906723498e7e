"""The fitted model's one-line fidelity statement (hwgen.costmodel.fast.fidelity)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hwgen.cli.main import main
from hwgen.costmodel.fast.fidelity import fidelity_line
from hwgen.costmodel.fast.model import load_fit
from hwgen.design.mac import MacConfig
from hwgen.emit import emit

FITS = Path(__file__).parents[1] / "costmodel/fast/fits"


def test_fidelity_line_states_every_figure() -> None:
    err = {"area_mape_pct": 3.5, "energy_mape_pct": 4.0, "spearman": 0.99, "held_out_points": 9}
    assert fidelity_line(err, "model abc") == (
        "source: model abc; held-out area MAPE 3.5 %, energy MAPE 4.0 %, Spearman 0.99"
        " (9 held-out designs)"
    )


def test_fidelity_line_without_an_energy_fit() -> None:
    err = {"area_mape_pct": 3.6, "energy_mape_pct": None, "spearman": 1.0, "held_out_points": 11}
    assert fidelity_line(err, "m") == (
        "source: m; held-out area MAPE 3.6 %, no energy fit, Spearman 1.0 (11 held-out designs)"
    )


def test_fidelity_line_with_validation_designs() -> None:
    err = {"area_mape_pct": 3.5, "energy_mape_pct": 4.0, "spearman": 0.99, "held_out_points": 9,
           "validation_area_mape_pct": 6.1, "validation_energy_mape_pct": 7.2,
           "validation_points": 38}  # fmt: skip
    assert fidelity_line(err, "m") == (
        "source: m; held-out area MAPE 3.5 %, energy MAPE 4.0 %, Spearman 0.99"
        " (9 held-out designs); validation area MAPE 6.1 %, energy MAPE 7.2 %"
        " (38 designs outside the sample)"
    )
    err["validation_energy_mape_pct"] = None
    assert fidelity_line(err, "m").endswith(
        "; validation area MAPE 6.1 % (38 designs outside the sample)"
    )


@pytest.mark.skipif(not (FITS / "ice40.json").is_file(), reason="no shipped iCE40 fit")
def test_cli_cost_fitted_prints_the_fidelity_of_an_fpga_fit(tmp_path: Path) -> None:
    emit(MacConfig(a_format="int4", w_format="int4"), tmp_path / "d")
    r = CliRunner().invoke(main, ["cost", str(tmp_path / "d"), "--model", "fitted",
                                  "--target", "ice40"])  # fmt: skip
    assert r.exit_code == 0, r.stderr
    fit = load_fit("ice40")
    flow = fit.provenance("luts").flow
    assert r.stdout.splitlines()[-1] == fidelity_line(fit.model_error(), flow)
    assert "no energy fit" in r.stdout and "None" not in r.stdout
    assert "validation area MAPE" in r.stdout  # the shipped fits carry validation designs
