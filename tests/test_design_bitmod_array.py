"""The BitMoD PE array as a design family: config protocol, manifest facts, CLI and TOML."""

from __future__ import annotations

import json

import pytest
from helpers import invoke_cli

from hwgen.design.base import Role
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.bitmod_array import IN_FLIGHT_GROUPS, BitmodArrayConfig
from hwgen.design.families import config_from_dict, family
from hwgen.design.spec import parse_design
from hwgen.emit import build_manifest
from hwgen.emit.manifest import Manifest
from hwgen.errors import HwgenError
from hwgen.golden.bitmod import WeightType


def _cfg(**kw: object) -> BitmodArrayConfig:
    pe = BitmodPEConfig(**{"dot": 2, "group_size": 16, "mode": "narrow", **kw})  # type: ignore[arg-type]
    return BitmodArrayConfig(pe=pe, rows=3, cols=2)


def test_kind_table_line_and_round_trip() -> None:
    cfg = _cfg()
    assert cfg.kind == "bitmod_array" and family("bitmod_array").config is BitmodArrayConfig
    assert config_from_dict("bitmod_array", cfg.to_dict()) == cfg
    assert cfg.name == "bitmod_array3x2_fp16_d2_g16_narrow"
    assert BitmodArrayConfig.from_dict({"rows": 1, "cols": 4}).pe == BitmodPEConfig()
    with pytest.raises(HwgenError, match=r"^bitmod_array config is missing required keys: cols$"):
        BitmodArrayConfig.from_dict({"rows": 2})
    with pytest.raises(HwgenError, match=r"^unknown bitmod_array config keys: depth; allowed: "):
        BitmodArrayConfig.from_dict({"rows": 2, "cols": 2, "depth": 3})


@pytest.mark.parametrize(
    ("kw", "msg"),
    [
        ({"rows": 0, "cols": 2}, r"^rows must be in 1\.\.32, not 0$"),
        ({"rows": 2, "cols": 33}, r"^cols must be in 1\.\.32, not 33$"),
        ({"rows": 2, "cols": True}, r"^cols must be an integer"),
    ],
)
def test_bad_shape_is_one_line(kw: dict[str, object], msg: str) -> None:
    with pytest.raises(HwgenError, match=msg):
        BitmodArrayConfig(pe=BitmodPEConfig(), **kw)  # type: ignore[arg-type]


def test_pe_must_be_a_pe_config() -> None:
    with pytest.raises(HwgenError, match=r"^pe must be a BitmodPEConfig, not dict$"):
        BitmodArrayConfig(pe={}, rows=1, cols=1)  # type: ignore[arg-type]


def test_ports_widths_and_roles() -> None:
    cfg = _cfg()
    pe = cfg.pe
    ports = {p.name: p for p in cfg.ports()}
    assert (ports["a"].elements, ports["a"].element_width) == (3 * 2, pe.act_bits)
    assert (ports["w"].elements, ports["w"].element_width) == (2 * 2, 8)
    assert ports["meta_dtype"].role is Role.DTYPE and ports["meta_dtype"].width == 2 * 3
    assert ports["meta_sel"].width == 2 * 2 and ports["meta_scale"].width == 2 * 8
    assert ports["out_man"].signed and ports["out_man"].element_width == pe.out_man_bits
    assert ports["out_exp"].width == 2 * pe.out_exp_bits and ports["out_row"].width == 2
    assert ports["out_flags"].width == 2 * 4
    assert "out_exp" not in {p.name for p in _cfg(mode="exact").ports()}
    assert len({p.role for p in cfg.ports()}) == len(cfg.ports())


def test_cadence_and_timing_facts() -> None:
    cfg = _cfg()
    i8, f4 = WeightType.INT8.code, WeightType.FP4.code
    assert cfg.cadence([i8, f4]) == 4 and cfg.cadence([f4, f4]) == 2
    assert cfg.cadence([7, f4]) == 2  # an unserved code counts as the fastest type
    assert cfg.group_cycles([WeightType.INT6.code, f4]) == 8 * 3
    assert cfg.latency == cfg.cols - 1 + cfg.pe.max_cycles + cfg.pe.latency + 1
    assert cfg.stall_free_group_cycles * IN_FLIGHT_GROUPS >= cfg.latency + cfg.rows
    with pytest.raises(HwgenError, match=r"^need 2 datatype codes \(one per column\), not 1$"):
        cfg.cadence([i8])


def test_manifest_sections() -> None:
    cfg = _cfg()
    man = Manifest.from_dict(json.loads(build_manifest(cfg).to_json()))
    assert man.design() == cfg and man.kind == "bitmod_array"
    assert man.array is not None and (man.array.rows, man.array.cols) == (3, 2)
    assert man.array.pe_latency == cfg.pe.latency and man.latency == cfg.latency
    b = man.bitmod
    assert b is not None and b["beats_per_group"] == 8 and b["dot"] == 2
    assert b["cycles_per_weight"]["int6"] == 3
    arr = b["array"]
    assert arr["rows"] == 3 and arr["cols"] == 2 and arr["in_flight_groups"] == 2
    assert arr["group_latency"]["int8"] == 1 + 4 + cfg.pe.group_latency("int8") + 1
    assert arr["macs_per_cycle"]["fp4"] == 3 * 2 * 1.0
    assert b["metadata_ports"]["meta_scale"] == "scale"
    assert man.flags == {"nan": 0, "pinf": 1, "ninf": 2, "dtype": 3}


def test_cli_generate_and_bad_input(tmp_path) -> None:
    out = tmp_path / "arr"
    args = ["generate", "bitmod-array", "--rows", "1", "--cols", "2", "--dot", "1"]
    r = invoke_cli([*args, "--group-size", "8", "--mode", "narrow", "--out", str(out)])
    assert r.exit_code == 0, r.stderr
    man = Manifest.load(out)
    assert man.design() == BitmodArrayConfig(
        pe=BitmodPEConfig(dot=1, group_size=8, mode="narrow"), rows=1, cols=2
    )
    assert (out / f"{man.top}.core").is_file()  # FuseSoC core, like every family
    bad = invoke_cli(
        ["generate", "bitmod-array", "--rows", "2", "--cols", "40", "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code == 2
    assert bad.stderr == "hwgen: error: cols must be in 1..32, not 40\n"
    assert not (tmp_path / "x").exists()


def test_toml_spec() -> None:
    doc = {"design": {"kind": "bitmod_array", "rows": 2, "cols": 2, "group-size": 32}}
    assert parse_design(doc) == BitmodArrayConfig(pe=BitmodPEConfig(group_size=32), rows=2, cols=2)
