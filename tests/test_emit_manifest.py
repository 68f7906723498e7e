"""The manifest schema: JSON form, round trip, validation of what a consumer loads."""

from __future__ import annotations

import json

import pytest

from hwgen import __version__
from hwgen.emit.manifest import (
    SCHEMA,
    AccumulatorInfo,
    ArrayInfo,
    Manifest,
    OutputInfo,
    Port,
    PortDir,
    config_hash,
)
from hwgen.errors import HwgenError

CONFIG = {"a_format": "int8", "w_format": "int8", "max_terms": 16, "stages": 0}


def _manifest(**over) -> Manifest:
    kw = dict(
        kind="mac",
        name="mac_x",
        top="mac_x",
        verilog=("mac_x.v",),
        filelist="files.f",
        waivers=(),
        a_format="int8",
        w_format="int8",
        config=CONFIG,
        latency=1,
        accumulator=AccumulatorInfo(bits=20, lsb_exp=0, overflow="exact", max_terms=16),
        output=None,
        array=None,
        flags=None,
        ports=(
            Port(name="clk", dir=PortDir.IN, width=1, role="clk"),
            Port(name="acc", dir=PortDir.OUT, width=20, role="acc"),
        ),
    )
    kw.update(over)
    return Manifest(**kw)


def test_json_form_matches_schema_doc():
    m = _manifest(
        output=OutputInfo(format="fp16", rounding="rne", latency=0),
        array=ArrayInfo(rows=2, cols=3),
        flags={"nan": 0, "pinf": 1, "ninf": 2},
    )
    text = m.to_json()
    assert text.endswith("}\n") and not text.endswith("\n\n")
    d = json.loads(text)
    assert list(d) == sorted(d)
    assert d["schema"] == SCHEMA == "hwgen.manifest/1"
    assert d["hwgen_version"] == __version__
    assert d["kind"] == "mac"
    assert d["config_hash"] == config_hash(CONFIG)
    assert d["reset"] == {
        "port": "rst",
        "polarity": "high",
        "synchronous": True,
        "clears": "all",
        "drops_in_flight": True,
    }
    assert d["array"] == {"rows": 2, "cols": 3, "pe_latency": None}
    assert d["output"] == {"format": "fp16", "rounding": "rne", "latency": 0}
    assert d["ports"][1] == {
        "name": "acc",
        "dir": "out",
        "width": 20,
        "role": "acc",
        "signed": False,
        "elements": 1,
    }
    # 2-space indentation, as documented.
    assert text.splitlines()[1].startswith('  "')


def test_round_trip_through_file(tmp_path):
    m = _manifest(flags={"nan": 0, "pinf": 1, "ninf": 2})
    (tmp_path / "manifest.json").write_text(m.to_json())
    back = Manifest.load(tmp_path)  # a directory is accepted too
    assert back.to_json() == m.to_json()
    assert back.port("acc").width == 20


def test_config_hash_is_canonical():
    a = config_hash({"x": 1, "y": [1, 2]})
    assert a == config_hash({"y": [1, 2], "x": 1})
    assert a != config_hash({"x": 2, "y": [1, 2]})
    assert len(a) == 64


def test_config_is_a_copy():
    cfg = dict(CONFIG)
    m = _manifest(config=cfg)
    cfg["stages"] = 3
    assert m.config["stages"] == 0


def _write(tmp_path, d) -> str:
    p = tmp_path / "manifest.json"
    p.write_text(json.dumps(d))
    return str(p)


def test_load_rejects_unknown_schema(tmp_path):
    d = _manifest().to_dict()
    d["schema"] = "hwgen.emit.manifest/9"
    with pytest.raises(
        HwgenError,
        match=r"unsupported manifest schema 'hwgen.emit.manifest/9'; expected 'hwgen.manifest/1'",
    ):
        Manifest.load(_write(tmp_path, d))


def test_load_rejects_missing_keys(tmp_path):
    d = _manifest().to_dict()
    del d["ports"], d["latency"]
    with pytest.raises(HwgenError, match=r"manifest is missing keys: latency, ports$"):
        Manifest.load(_write(tmp_path, d))


def test_load_rejects_unknown_keys(tmp_path):
    d = _manifest().to_dict()
    d["colour"] = "red"
    with pytest.raises(HwgenError, match=r"unknown manifest keys: colour; allowed: schema, "):
        Manifest.load(_write(tmp_path, d))


def test_load_rejects_tampered_config(tmp_path):
    d = _manifest().to_dict()
    d["config"]["stages"] = 2
    with pytest.raises(HwgenError, match=r"config_hash '[0-9a-f]{64}' does not match the config"):
        Manifest.load(_write(tmp_path, d))


def test_load_rejects_malformed_parts(tmp_path):
    d = _manifest().to_dict()
    d["ports"][0]["dir"] = "sideways"
    with pytest.raises(HwgenError, match=r"port 'clk' dir must be one of in, out, not 'sideways'$"):
        Manifest.load(_write(tmp_path, d))


def test_load_rejects_non_json_and_missing(tmp_path):
    p = tmp_path / "manifest.json"
    p.write_text("{nope")
    with pytest.raises(HwgenError, match=r"manifest.json: not valid JSON: .* at line 1"):
        Manifest.load(p)
    with pytest.raises(HwgenError, match=r"manifest not found: .*missing.json"):
        Manifest.load(tmp_path / "missing.json")
    p.write_text("[1, 2]")
    with pytest.raises(HwgenError, match=r"a manifest must be a JSON object, not list"):
        Manifest.load(p)


def test_construction_rejects_other_schema():
    with pytest.raises(HwgenError, match=r"manifest schema must be 'hwgen.manifest/1', not 'x'"):
        _manifest(schema="x")


def test_port_lookup_names_roles():
    with pytest.raises(
        HwgenError, match=r"design mac_x has no port with role 'flags'; roles: clk, acc"
    ):
        _manifest().port("flags")


def test_manifests_written_before_the_added_fields_still_load():
    """reset.clears/drops_in_flight, array.pe_latency, ports[].signed/elements are optional."""
    d = json.loads(_manifest(array=ArrayInfo(rows=2, cols=3, pe_latency=2)).to_json())
    d["reset"] = {"port": "rst", "polarity": "high", "synchronous": True}
    d["array"] = {"rows": 2, "cols": 3}
    for p in d["ports"]:
        del p["signed"], p["elements"]
    m = Manifest.from_dict(d)
    assert m.reset.drops_in_flight and m.array is not None and m.array.pe_latency is None
    assert all(p.elements == 1 and not p.signed for p in m.ports)


def test_float_accumulator_manifest(tmp_path):
    from hwgen.design.mac import MacConfig
    from hwgen.emit import emit

    cfg = MacConfig(a_format="fp8_e4m3", w_format="fp8_e4m3", acc_format="fp32", stages=1)
    emit(cfg, tmp_path / "d")
    m = Manifest.load(tmp_path / "d")
    acc = json.loads(m.to_json())["accumulator"]
    assert acc["format"] == "fp32" and acc["rounding"] == "fused"
    assert acc["subnormals"] == "keep" and acc["bits"] == 32
    assert m.port("acc").width == 32 and not m.port("acc").signed
    assert m.flags is None and m.design() == cfg


def test_fixed_point_manifest_says_format_null():
    d = json.loads(_manifest().to_json())["accumulator"]
    assert d["format"] is None and d["rounding"] is None and d["subnormals"] is None
    del d["format"], d["rounding"], d["subnormals"]  # written before the fields existed
    assert AccumulatorInfo(**d).format is None
