"""The BitMoD PE as a design family: config protocol, manifest facts, CLI and TOML, Verilog."""

from __future__ import annotations

import json

import pytest
from helpers import invoke_cli

from hwgen.design.base import Role
from hwgen.design.bitmod import W_FORMAT, BitmodPEConfig
from hwgen.design.families import config_from_dict, family
from hwgen.design.spec import parse_design
from hwgen.emit import build_manifest, emit
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError
from hwgen.golden.bitmod import WeightType


def test_kind_and_table_line() -> None:
    cfg = BitmodPEConfig(group_size=32)
    assert cfg.kind == "bitmod_pe" and family("bitmod_pe").config is BitmodPEConfig
    assert config_from_dict("bitmod_pe", cfg.to_dict()) == cfg
    with pytest.raises(HwgenError, match=r"^unknown bitmod_pe config keys: rows; allowed: dot, "):
        BitmodPEConfig.from_dict({"rows": 2})


def test_ports_have_roles_and_lane_elements() -> None:
    cfg = BitmodPEConfig(dot=4, group_size=32, mode="narrow")
    ports = {p.name: p for p in cfg.ports()}
    assert ports["meta_sel"].role is Role.SELECTOR and ports["meta_scale"].role is Role.SCALE
    assert ports["meta_dtype"].role is Role.DTYPE and ports["sv_data"].role is Role.SV_DATA
    assert (ports["w"].elements, ports["w"].element_width) == (4, 8)
    assert (ports["a"].elements, ports["a"].element_width) == (4, cfg.act_bits)
    assert ports["out_man"].signed and ports["out_man"].width == cfg.out_man_bits
    assert ports["out_exp"].width == cfg.out_exp_bits
    assert "out_exp" not in {p.name for p in BitmodPEConfig(group_size=32).ports()}
    assert len({p.role for p in cfg.ports()}) == len(cfg.ports())


def test_manifest_bitmod_section() -> None:
    cfg = BitmodPEConfig(dot=4, group_size=64)
    man = Manifest.from_dict(json.loads(build_manifest(cfg).to_json()))
    assert man.design() == cfg and man.w_format == W_FORMAT and man.a_format == "fp16"
    b = man.bitmod
    assert b is not None
    assert b["cycles_per_weight"] == {
        "int8": 4, "int6": 3, "int4": 2, "int3": 2, "fp4": 2, "fp3": 2
    }  # fmt: skip
    assert b["macs_per_cycle"]["int8"] == 1.0 and b["macs_per_cycle"]["fp4"] == 2.0
    assert b["group_size"] == 64 and b["min_group_size"] == cfg.min_group_size == 16
    assert b["weight_types"] == {w.value: w.code for w in WeightType}
    assert b["metadata_ports"]["meta_sel"] == "selector"
    assert man.latency == max(b["group_latency"].values()) == cfg.group_latency("int8")
    assert man.accumulator.lsb_exp == cfg.out_lsb_exp
    assert man.flags == {"nan": 0, "pinf": 1, "ninf": 2, "dtype": 3}


def test_other_manifests_have_no_bitmod_key() -> None:
    from hwgen.design.mac import MacConfig

    assert "bitmod" not in build_manifest(MacConfig(a_format="int8", w_format="int8")).to_dict()


@pytest.mark.parametrize(
    ("kw", "msg"),
    [
        ({"dot": 3}, r"^dot must be one of 1, 2, 4, 8, 16, not 3$"),
        ({"act_format": "fp32"}, r"^act_format must be one of fp16, bf16, fp8_e4m3, int8, "),
        ({"group_size": 30}, r"^group_size 30 is not a multiple of dot=4$"),
        ({"group_size": 8}, r"^group_size 8 is too small to hide the 8-cycle dequantization"),
        ({"mode": "fast"}, r"^mode must be one of exact, narrow, not 'fast'$"),
    ],
)
def test_bad_config_is_one_line(kw: dict[str, object], msg: str) -> None:
    with pytest.raises(HwgenError, match=msg):
        BitmodPEConfig(**kw)  # type: ignore[arg-type]


def test_cli_generate_and_bad_input(tmp_path) -> None:
    out = tmp_path / "pe"
    args = ["generate", "bitmod-pe", "--dot", "2", "--group-size", "16", "--mode", "narrow"]
    r = invoke_cli([*args, "--out", str(out)])
    assert r.exit_code == 0, r.stderr
    man = Manifest.load(out)
    assert man.kind == "bitmod_pe" and man.design() == BitmodPEConfig(
        dot=2, group_size=16, mode="narrow"
    )
    bad = invoke_cli(["generate", "bitmod-pe", "--group-size", "30", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2
    assert bad.stderr == "hwgen: error: group_size 30 is not a multiple of dot=4\n"
    assert not (tmp_path / "x").exists()


def test_toml_spec() -> None:
    doc = {"design": {"kind": "bitmod_pe", "dot": 2, "group-size": 16, "act_format": "bf16"}}
    assert parse_design(doc) == BitmodPEConfig(dot=2, group_size=16, act_format="bf16")


@pytest.mark.parametrize(
    "kw",
    [
        # fp8_e4m3 narrow at dot 8: partial sums wider than needed left unread sign bits.
        {"dot": 8, "group_size": 32, "mode": "narrow", "act_format": "fp8_e4m3"},
        {"dot": 4, "group_size": 32, "mode": "exact", "act_format": "int8"},
    ],
    ids=["narrow_fp8_d8", "exact_int8"],
)
def test_verilog_lint_clean_and_deterministic(kw: dict[str, object], tmp_path) -> None:
    from hwgen.tools.lint import verilator_lint

    cfg = BitmodPEConfig(**kw)  # type: ignore[arg-type]
    emit(cfg, tmp_path / "a")
    emit(cfg, tmp_path / "b")
    for f in ("manifest.json", f"{cfg.name}.v", "files.f"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert verilator_lint([tmp_path / "a" / f"{cfg.name}.v"], cfg.name).warnings == []


_TOO_SMALL = "is too small to hide the 8-cycle dequantization: needs >= "


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bitmod-pe", "--act-format", "fp32"],
         "Invalid value for '--act-format': 'fp32' is not one of 'fp16', 'bf16', 'fp8_e4m3',"
         " 'int8'. (see `hwgen generate bitmod-pe --help`)"),
        (["bitmod-pe", "--act-format", "fp8_e5m2"],
         "Invalid value for '--act-format': 'fp8_e5m2' is not one of 'fp16', 'bf16', 'fp8_e4m3',"
         " 'int8'. (see `hwgen generate bitmod-pe --help`)"),
        (["bitmod-pe", "--dot", "3"], "dot must be one of 1, 2, 4, 8, 16, not 3"),
        (["bitmod-pe", "--dot", "32", "--group-size", "128"],
         "dot must be one of 1, 2, 4, 8, 16, not 32"),
        (["bitmod-pe", "--dot", "8", "--group-size", "20"],
         "group_size 20 is not a multiple of dot=8"),
        (["bitmod-pe", "--group-size", "12"],
         f"group_size 12 {_TOO_SMALL}16 (dot=4, fastest datatype 2 cycles per weight)"),
        (["bitmod-pe", "--dot", "16", "--group-size", "32"],
         f"group_size 32 {_TOO_SMALL}64 (dot=16, fastest datatype 2 cycles per weight)"),
        (["bitmod-pe", "--group-size", "8192"], "group_size must be <= 4096, not 8192"),
        (["bitmod-pe", "--mode", "fast"],
         "Invalid value for '--mode': 'fast' is not one of 'exact', 'narrow'."
         " (see `hwgen generate bitmod-pe --help`)"),
        (["bitmod-array", "--rows", "2", "--cols", "2", "--act-format", "int4"],
         "Invalid value for '--act-format': 'int4' is not one of 'fp16', 'bf16', 'fp8_e4m3',"
         " 'int8'. (see `hwgen generate bitmod-array --help`)"),
        (["bitmod-array", "--rows", "2", "--cols", "2", "--dot", "5"],
         "dot must be one of 1, 2, 4, 8, 16, not 5"),
        (["bitmod-array", "--rows", "2", "--cols", "2", "--group-size", "6", "--dot", "4"],
         "group_size 6 is not a multiple of dot=4"),
        (["bitmod-array", "--rows", "2", "--cols", "2", "--group-size", "8"],
         f"group_size 8 {_TOO_SMALL}16 (dot=4, fastest datatype 2 cycles per weight)"),
    ],
)  # fmt: skip
def test_cli_bad_input_exact_messages(tmp_path, monkeypatch, args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    r = invoke_cli(["generate", *args, "--out", "d"])
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"hwgen: error: {message}\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("special_values = [40, -10, 16, -16]",
         "special_values[0] 40 is not representable: magnitude must be < 32 with at most two"
         " one-bits (e.g. 3, 6, 10, 16, 24)"),
        ("special_values = [10, -10, 16]",
         "special_values must be 4 integers (one per selector), not (10, -10, 16)"),
        ('act_format = "fp32"', "act_format must be one of fp16, bf16, fp8_e4m3, int8, not 'fp32'"),
        ("group_size = 12",
         f"group_size 12 {_TOO_SMALL}16 (dot=4, fastest datatype 2 cycles per weight)"),
    ],
)  # fmt: skip
def test_spec_bad_input_exact_messages(tmp_path, monkeypatch, body: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(f'[design]\nkind = "bitmod_pe"\n{body}\n')
    r = invoke_cli(["generate", "--spec", "s.toml", "--out", "d"])
    assert (r.exit_code, r.stdout) == (2, "")
    assert r.stderr == f"hwgen: error: s.toml: [design] {message}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["s.toml"]
