"""The family table and the design protocol every family fulfils."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from amaranth.hdl import Shape
from amaranth.lib.wiring import Flow

from hwgen._validate import check_enum, check_int, check_type
from hwgen.design import ArrayConfig, DesignConfig, MacConfig, Role
from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.bitmod_array import BitmodArrayConfig
from hwgen.design.families import config_from_dict, families, family, kinds
from hwgen.emit import build_manifest, check_signature
from hwgen.errors import HwgenError
from hwgen.golden import Overflow
from hwgen.sim.bench import Bench

EXAMPLES: dict[str, DesignConfig] = {
    "mac": MacConfig(a_format="fp8_e5m2", w_format="int4", stages=2, out_format="fp16"),
    "array": ArrayConfig(mac=MacConfig(a_format="fp8_e4m3", w_format="int8"), rows=2, cols=3),
    "bitmod_pe": BitmodPEConfig(dot=2, group_size=16, mode="narrow"),
    "bitmod_array": BitmodArrayConfig(
        pe=BitmodPEConfig(dot=1, group_size=8, mode="narrow"), rows=1, cols=2
    ),
}


def test_every_family_has_an_example() -> None:
    assert set(kinds()) == set(EXAMPLES) == {"mac", "array", "bitmod_pe", "bitmod_array"}


@pytest.mark.parametrize("fam", families(), ids=lambda f: f.kind)
def test_family_parts_load_and_agree(fam) -> None:
    cfg = EXAMPLES[fam.kind]
    assert type(cfg) is fam.config and cfg.kind == fam.kind
    assert config_from_dict(fam.kind, cfg.to_dict()) == cfg
    assert isinstance(fam.bench(), Bench)
    component = cfg.create()
    # Only its signature is read here: it is never elaborated, which Amaranth would
    # otherwise report (UnusedElaboratable) when it is collected.
    component._MustUse__silence = True
    assert type(component) is fam.rtl()
    check_signature(cfg, component)  # the component's signature is config.ports()
    ports = {p.name: p for p in cfg.ports()}
    assert [p.role for p in cfg.ports()][:2] == [Role.CLK, Role.RST]
    for name, member in component.signature.members.items():
        shape = Shape.cast(member.shape)
        assert (shape.width, shape.signed) == (ports[name].width, ports[name].signed)
        assert (member.flow == Flow.In) == (ports[name].dir == "in")
    man = build_manifest(cfg)
    assert man.kind == fam.kind and man.design() == cfg
    assert man.config_hash == cfg.config_hash


def test_unknown_kind_is_one_line() -> None:
    with pytest.raises(
        HwgenError, match=r"^kind must be one of mac, array, bitmod_pe, bitmod_array, not 'gpu'$"
    ):
        family("gpu")


def test_manifest_sections_come_from_the_config() -> None:
    arr = EXAMPLES["array"]
    man = build_manifest(arr)
    assert man.array is not None and man.array.pe_latency == arr.mac.latency == 1
    flags = man.port(Role.OUT_FLAGS)
    assert (flags.elements, flags.element_width) == (3, 3)
    assert man.port(Role.OUT_DATA).elements == 3 and man.port(Role.A).elements == 2
    assert man.reset.clears == "all" and man.reset.drops_in_flight
    mac = build_manifest(EXAMPLES["mac"])
    assert mac.port(Role.ACC).signed and not mac.port(Role.A).signed


def test_signature_mismatch_is_caught() -> None:
    cfg = EXAMPLES["mac"]
    other = MacConfig(a_format="int8", w_format="int4").create()
    with pytest.raises(RuntimeError, match=r"ports .* differ from the config's"):
        check_signature(cfg, other)


def test_design_layer_does_not_import_amaranth() -> None:
    code = (
        "import sys, hwgen.design, hwgen.golden, hwgen.emit, hwgen.cli.main, hwgen.sim.verify\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('amaranth', 'cocotb'))\n"
        "assert not bad, bad\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


# --- the shared validator ----------------------------------------------------------------


def test_check_int_accepts_numpy_integers_and_refuses_bools() -> None:
    assert check_int("stages", np.int64(3), 0, 4) == 3
    assert type(check_int("stages", np.int32(3))) is int
    assert MacConfig(a_format="int8", w_format="int8", stages=np.int64(2)).stages == 2
    assert ArrayConfig.from_dict({"rows": np.int64(2), "cols": 3, "a_format": "int8",
                                  "w_format": "int8"}).rows == 2  # fmt: skip
    for bad in (True, np.bool_(False), 1.0, "2"):
        with pytest.raises(HwgenError, match=r"^stages must be an integer, not "):
            check_int("stages", bad)


@pytest.mark.parametrize(
    ("lo", "hi", "value", "message"),
    [
        (0, 4, 5, "x must be in 0..4, not 5"),
        (1, None, 0, "x must be >= 1, not 0"),
        (None, 3, 4, "x must be <= 3, not 4"),
    ],
)
def test_check_int_ranges(lo, hi, value, message) -> None:
    with pytest.raises(HwgenError, match=f"^{message}$"):
        check_int("x", value, lo, hi)


def test_check_enum() -> None:
    assert check_enum("overflow", Overflow, "wrap") is Overflow.WRAP
    assert check_enum("overflow", Overflow, Overflow.EXACT) is Overflow.EXACT
    with pytest.raises(HwgenError, match=r"^overflow must be one of exact, wrap, saturate, not 3$"):
        check_enum("overflow", Overflow, 3)


def test_check_type_names_the_class_with_its_article() -> None:
    cfg = MacConfig(a_format="int8", w_format="int8")
    check_type("mac", cfg, MacConfig)
    with pytest.raises(HwgenError, match=r"^mac must be a MacConfig, not dict$"):
        check_type("mac", {}, MacConfig)
    with pytest.raises(HwgenError, match=r"^cfg must be an ArrayConfig, not MacConfig$"):
        check_type("cfg", cfg, ArrayConfig)
