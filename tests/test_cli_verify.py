"""``hwgen verify``: summary, exit codes, waveform path, one-line errors."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from helpers import invoke_cli

from hwgen.cli.main import HwgenGroup
from hwgen.cli.verify_cmd import verify
from hwgen.design.mac import MacConfig
from hwgen.emit import build_manifest, emit
from hwgen.emit.manifest import Manifest


def _group() -> click.Group:
    # The real error boundary, with the verify command whether or not main lists it yet.
    group = HwgenGroup(name="hwgen")
    group.add_command(verify)
    return group


@pytest.fixture(scope="module")
def int8_mac(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("cli_verify") / "mac"
    emit(MacConfig(a_format="int8", w_format="int8", max_terms=64), d)
    return d


@pytest.mark.sim
def test_passing_design_prints_summary(int8_mac: Path) -> None:
    code, out, err = invoke_cli(
        ["verify", str(int8_mac), "--vectors", "4096", "--lanes", "16"],
        command=_group(),
    )  # fmt: skip
    assert code == 0, err
    top = Manifest.load(int8_mac).top
    assert f"design      {top} (mac)" in out
    assert "simulator   verilator (16 lanes)" in out
    assert "exhaustive 65,536" in out and "random 4,096" in out
    assert "mismatches  0" in out and "result      PASS" in out
    assert "checks/s" in out and "build" in out
    assert "waves" not in out


@pytest.mark.sim
# Slow (~45 s): a failing run is repeated on a tracing build; the scoreboard tests cover
# mismatches in the default suite.
@pytest.mark.slow
def test_mismatch_exits_1_with_decoded_operands_and_waves(int8_mac: Path, tmp_path: Path) -> None:
    """A manifest that lies about the operand format: the hardware no longer matches it."""
    liar = tmp_path / "liar"
    liar.mkdir()
    man = Manifest.load(int8_mac)
    # A consistent lie: manifest, file and module name all claim uint8, the logic is int8's
    # (the manifest checks pass; only simulation can tell).
    wrong = build_manifest(MacConfig.from_dict({**man.config, "a_format": "uint8"}))
    text = (int8_mac / man.verilog[0]).read_text().replace(man.top, wrong.top)
    (liar / wrong.verilog[0]).write_text(text)
    (liar / wrong.filelist).write_text(f"{wrong.verilog[0]}\n")
    (liar / "manifest.json").write_text(wrong.to_json())
    code, out, _ = invoke_cli(
        ["verify", str(liar), "--vectors", "256", "--lanes", "8"],
        command=_group(),
    )  # fmt: skip
    assert code == 1
    assert "result      FAIL" in out
    assert "first mismatches:" in out
    # Operands are decoded in the manifest's (claimed) formats: 0x80 reads as uint8 128.
    assert "a=0x80 (128.0)" in out
    waves = [ln.split(None, 1)[1] for ln in out.splitlines() if ln.startswith("waves ")]
    assert len(waves) == 1 and Path(waves[0]).is_file() and waves[0].endswith(".vcd")


def test_directory_without_manifest_is_one_line_error(tmp_path: Path) -> None:
    code, out, err = invoke_cli(["verify", str(tmp_path)], command=_group())
    assert code == 2 and out == ""
    assert err == (
        f"hwgen: error: {tmp_path} holds no manifest.json: not a design directory from "
        "hwgen generate\n"
    )


def test_missing_simulator_is_one_line_error(
    int8_mac: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, _, err = invoke_cli(
        ["verify", str(int8_mac), "--sim", "icarus", "--build-dir", str(tmp_path / "b")],
        command=_group(),
    )
    assert code == 2
    assert err == (
        "hwgen: error: iverilog not found (needed by --sim icarus): install it with "
        "`sudo apt-get update && sudo apt-get install -y iverilog`\n"
    )


def test_bad_option_values_are_usage_errors(int8_mac: Path) -> None:
    code, _, err = invoke_cli(["verify", str(int8_mac), "--sim", "vcs"], command=_group())
    assert code == 2 and "'vcs' is not one of 'verilator', 'icarus'" in err
    code, _, err = invoke_cli(["verify", str(int8_mac), "--vectors", "-1"], command=_group())
    assert code == 2 and "-1 is not in the range 0<=x<=16777216" in err
