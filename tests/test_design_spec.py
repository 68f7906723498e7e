"""TOML design specs -> MacConfig / ArrayConfig."""

from __future__ import annotations

import pytest

from hwgen.design.array import ArrayConfig
from hwgen.design.mac import MacConfig
from hwgen.design.spec import allowed_keys, load_design, parse_design
from hwgen.errors import HwgenError
from hwgen.golden import Overflow


def _write(tmp_path, text: str):
    p = tmp_path / "d.toml"
    p.write_text(text)
    return p


def test_mac_spec(tmp_path):
    p = _write(
        tmp_path,
        '[design]\nkind = "mac"\na_format = "fp8_e4m3"\nw-format = "int8"\n'
        'stages = 1\noverflow = "wrap"\nacc_bits = 24\n',
    )
    cfg = load_design(p)
    assert cfg == MacConfig(
        a_format="fp8_e4m3", w_format="int8", stages=1, overflow=Overflow.WRAP, acc_bits=24
    )


def test_array_spec_uses_config_defaults(tmp_path):
    p = _write(
        tmp_path,
        '[design]\nkind = "array"\na_format = "int8"\nw_format = "int4"\nrows = 4\ncols = 2\n',
    )
    cfg = load_design(p)
    assert cfg == ArrayConfig(mac=MacConfig(a_format="int8", w_format="int4"), rows=4, cols=2)


def test_spec_round_trips_every_config_key():
    cfg = ArrayConfig(
        mac=MacConfig(a_format="fp8_e5m2", w_format="fp8_e5m2", stages=2, max_terms=128),
        rows=2,
        cols=3,
    )
    doc = {"design": {"kind": "array", **{k: v for k, v in cfg.to_dict().items() if v is not None}}}
    assert parse_design(doc) == cfg


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({}, r"^spec: missing \[design\] table$"),
        ({"design": {}, "extra": 1}, r"^spec: unknown top-level keys: extra; allowed: design$"),
        (
            {"design": {"a_format": "int8"}},
            r"^spec: \[design\] is missing kind "
            r"\('mac' or 'array' or 'bitmod_pe' or 'bitmod_array'\)$",
        ),
        (
            {"design": {"kind": "pe"}},
            r"^spec: kind must be one of mac, array, bitmod_pe, bitmod_array, not 'pe'$",
        ),
        (
            {"design": {"kind": "mac", "a_format": "int8", "w_format": "int8", "rows": 2}},
            r"^spec: unknown keys for kind 'mac': rows; allowed: kind, a_format, w_format, ",
        ),
        (
            {"design": {"kind": "mac", "a_format": "int8", "a-format": "int4"}},
            r"^spec: key 'a_format' is given twice$",
        ),
        (
            {
                "design": {
                    "kind": "array",
                    "a_format": "int8",
                    "w_format": "int8",
                    "rows": 0,
                    "cols": 1,
                }
            },
            r"^spec: \[design\] rows must be in 1..64, not 0$",
        ),
    ],
)
def test_bad_specs_are_one_line_errors(doc, message):
    with pytest.raises(HwgenError, match=message):
        parse_design(doc)


def test_file_errors(tmp_path):
    with pytest.raises(HwgenError, match=r"^design spec not found: .*missing.toml$"):
        load_design(tmp_path / "missing.toml")
    with pytest.raises(HwgenError, match=r"is a directory; give a .toml file$"):
        load_design(tmp_path)
    p = _write(tmp_path, "[design\n")
    with pytest.raises(HwgenError, match=r"d.toml: not valid TOML: "):
        load_design(p)


def test_allowed_keys_follow_the_configs():
    assert allowed_keys("array") == ("kind", *ArrayConfig.allowed_keys())
    # Every field is a key, including the float-accumulator ones that a fixed-point
    # config's to_dict() leaves out, and acc_lsb, left out when unset.
    assert set(allowed_keys("mac")) == {
        "kind",
        "acc_lsb",
        *MacConfig(a_format="int8", w_format="int8", acc_format="fp32").to_dict(),
    }
