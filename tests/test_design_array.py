"""``ArrayConfig`` with float accumulators and ``out_format``: validation, ports, manifest,
and the array's golden model (:meth:`MacArithmetic.tiles`) against the MAC's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.design.array import ArrayConfig
from hwgen.design.base import Role
from hwgen.design.mac import MacConfig
from hwgen.emit import build_manifest
from hwgen.errors import HwgenError
from hwgen.golden import acc_to_format
from hwgen.golden.float_acc import FloatAccSpec, float_mac_trace


def _array(rows: int = 2, cols: int = 3, **mac: object) -> ArrayConfig:
    return ArrayConfig(mac=MacConfig(**mac), rows=rows, cols=cols)


E4M3 = {"a_format": "fp8_e4m3", "w_format": "fp8_e4m3"}


# ----------------------------------------------------------------------- config
def test_float_accumulator_array_ports_and_manifest():
    cfg = _array(**E4M3, acc_format="fp32", acc_rounding="unfused", stages=3)
    assert ArrayConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.name == "pe2x3_fp8_e4m3_x_fp8_e4m3_acc32_s3_accfp32_unf"
    ports = {p.name: p for p in cfg.ports()}
    assert "out_flags" not in ports  # NaN / inf are codes of the float accumulator
    out = ports["out_data"]
    assert (out.width, out.elements, out.signed, out.role) == (3 * 32, 3, False, Role.OUT_DATA)
    m = build_manifest(cfg).to_dict()
    assert m["accumulator"] == {
        "bits": 32, "lsb_exp": -149, "overflow": "inf", "max_terms": 4096,
        "format": "fp32", "rounding": "unfused", "subnormals": "keep",
    }  # fmt: skip
    assert m["output"] is None and m["flags"] is None
    assert m["array"] == {"rows": 2, "cols": 3, "pe_latency": 4}
    assert m["latency"] == cfg.rows + cfg.cols - 2 + 4 + 1


def test_out_format_array_ports_and_manifest():
    cfg = _array(a_format="fp8_e5m2", w_format="int8", out_format="fp16")
    assert ArrayConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.name.endswith("_out_fp16")
    ports = {p.name: p for p in cfg.ports()}
    assert (ports["out_data"].width, ports["out_data"].signed) == (3 * 16, False)
    assert ports["out_flags"].width == 3 * 3  # the PEs' flags still come out per column
    m = build_manifest(cfg).to_dict()
    assert m["output"] == {"format": "fp16", "rounding": "rne", "latency": 0}
    assert m["accumulator"]["format"] is None
    assert cfg.latency == _array(a_format="fp8_e5m2", w_format="int8").latency


def test_fixed_point_array_keeps_its_dict_and_ports():
    cfg = _array(a_format="int8", w_format="int8")
    assert not {"acc_format", "acc_rounding", "acc_subnormals"} & set(cfg.to_dict())
    assert cfg.out_element_bits == cfg.accumulator.bits and cfg.out_signed
    assert build_manifest(cfg).to_dict()["output"] is None


def test_array_options_are_the_mac_options():
    keys = [o.key for o in ArrayConfig.options()]
    assert keys == ["rows", "cols", *(o.key for o in MacConfig.options())]
    assert {"out_format", "acc_format", "acc_rounding", "acc_subnormals"} <= set(keys)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {**E4M3, "acc_format": "fp32", "out_format": "fp16"},
            "out_format='fp16' does not apply to a float accumulator: acc already is a float"
            " code; leave it unset",
        ),
        (
            {**E4M3, "acc_format": "fp16", "stages": 3},
            "stages=3 is too many for a float accumulator with acc_rounding='fused': at most"
            " 2 (normalised, input)",
        ),
        (
            {**E4M3, "acc_format": "int8"},
            "accumulator format 'int8' is int; a float accumulator needs a minifloat (fp32,"
            " fp16, bf16, fpN_eXmY)",
        ),
        (
            {**E4M3, "acc_format": "fp8_e4m3_nosub", "acc_subnormals": "flush"},
            "subnormals='flush' needs a format with subnormals; fp8_e4m3_nosub has none"
            " (use 'keep')",
        ),
        (
            {**E4M3, "acc_format": "fp4_e2m1"},
            "acc_format='fp4_e2m1' with fp8_e4m3 x fp8_e4m3: accumulator format fp4_e2m1 has"
            " no NaN or inf codes, but fp8_e4m3 x fp8_e4m3 products can be NaN or infinite;"
            " choose a format with specials",
        ),
        (
            {"a_format": "int8", "w_format": "int8", "acc_rounding": "unfused"},
            "acc_rounding='unfused' needs a float accumulator: set acc_format",
        ),
        (
            {"a_format": "int8", "w_format": "int8", "out_format": "int8"},
            "out_format must be a float format, not int (int8)",
        ),
        (
            {"a_format": "int8", "w_format": "int8", "out_format": "fp8_e4m3_nosub"},
            "out_format fp8_e4m3_nosub has no subnormals; choose a float format with them",
        ),
    ],
)
def test_bad_float_options_are_the_mac_messages(kwargs, message):
    with pytest.raises(HwgenError) as e:
        ArrayConfig.from_dict({"rows": 2, "cols": 2, **kwargs})
    assert str(e.value) == message


# ----------------------------------------------------------------------- golden model
ACC_FORMATS = ["fp32", "fp16", "bf16", "fp8_e5m2", "fp8_e4m3"]


def _stream(rng, a_bits, w_bits, lanes, rows, cols, ks):
    beats = sum(ks)
    a = rng.integers(0, 1 << a_bits, size=(beats, lanes, rows))
    w = rng.integers(0, 1 << w_bits, size=(beats, lanes, cols))
    last = np.zeros(beats, dtype=bool)
    last[np.cumsum(ks) - 1] = True
    return a, w, last


@settings(max_examples=40, deadline=None)
@given(
    fmts=st.sampled_from([("fp8_e4m3", "fp8_e4m3"), ("fp8_e5m2", "int8"), ("int8", "int4")]),
    acc=st.sampled_from(ACC_FORMATS),
    rounding=st.sampled_from(["fused", "unfused"]),
    flush=st.booleans(),
    ks=st.lists(st.integers(1, 12), min_size=1, max_size=5),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_1x1_array_is_the_mac_golden_model(fmts, acc, rounding, flush, ks, seed):
    # One PE, tiles back to back: the array's result of each tile is the MAC's accumulator
    # on the tile's last beat, with the tile's first beat as valid & clear.
    mac = MacConfig(
        a_format=fmts[0], w_format=fmts[1], acc_format=acc, acc_rounding=rounding,
        acc_subnormals="flush" if flush else "keep",
    )  # fmt: skip
    cfg = ArrayConfig(mac=mac, rows=1, cols=1)
    a, w, last = _stream(np.random.default_rng(seed), mac.a.bits, mac.w.bits, 1, 1, 1, ks)
    got, flags = cfg.golden().tiles(a, w, last)
    clear = np.concatenate([[True], last[:-1]])
    want, _ = mac.golden().trace(a.ravel(), w.ravel(), np.ones(last.size, dtype=bool), clear)
    np.testing.assert_array_equal(got.ravel(), want[last])
    assert not flags.any()


@settings(max_examples=25, deadline=None)
@given(
    acc=st.sampled_from(ACC_FORMATS),
    rounding=st.sampled_from(["fused", "unfused"]),
    shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3)),
    ks=st.lists(st.integers(1, 8), min_size=1, max_size=4),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_tiles_are_each_outputs_own_float_trace(acc, rounding, shape, ks, seed):
    # Independent of the padding the vectorised model uses: every (lane, tile, i, j) run
    # alone through float_mac_trace over exactly its tile's beats.
    lanes, rows, cols = shape
    mac = MacConfig(**E4M3, acc_format=acc, acc_rounding=rounding)
    a, w, last = _stream(np.random.default_rng(seed), 8, 8, lanes, rows, cols, ks)
    got, _ = mac.golden().tiles(a, w, last)
    assert got.shape == (lanes, len(ks), rows, cols)
    spec = FloatAccSpec(format=acc, rounding=rounding)
    ends = np.cumsum(ks)
    for t, (start, end) in enumerate(zip(ends - ks, ends, strict=True)):
        k = end - start
        clear = np.arange(k) == 0
        for lane in range(lanes):
            for i in range(rows):
                for j in range(cols):
                    tr = float_mac_trace(
                        mac.a, a[start:end, lane, i], mac.w, w[start:end, lane, j],
                        np.ones(k, dtype=bool), clear, spec=spec,
                    )  # fmt: skip
                    assert got[lane, t, i, j] == tr.acc[-1]


def test_out_format_tiles_round_the_fixed_point_results():
    cfg = _array(a_format="fp8_e5m2", w_format="int8", out_format="bf16", max_terms=16)
    rng = np.random.default_rng(1)
    a, w, last = _stream(rng, 8, 8, 1, 2, 3, [5, 16, 1])
    arith = cfg.golden()
    acc, flags = arith.tiles(a, w, last)
    out = arith.out_codes(acc, flags)
    assert out.shape == (1, 3, 2, 3)
    want = acc_to_format(acc, cfg.accumulator.lsb_exp, cfg.mac.out, flags=flags)
    np.testing.assert_array_equal(out, want)


def test_tiles_rejects_a_stream_that_does_not_end_a_tile():
    arith = MacConfig(**E4M3, acc_format="fp16").golden()
    a = np.zeros((3, 1, 2), dtype=np.int64)
    w = np.zeros((3, 1, 2), dtype=np.int64)
    with pytest.raises(HwgenError, match=r"^the last beat must end a tile$"):
        arith.tiles(a, w, np.array([True, False, False]))


def test_tiles_in_chunks_equal_tiles_at_once(monkeypatch):
    import hwgen.design.mac as mac_module

    arith = MacConfig(**E4M3, acc_format="fp16", acc_rounding="unfused").golden()
    rng = np.random.default_rng(2)
    ks = [int(k) for k in rng.integers(1, 20, size=30)]
    a, w, last = _stream(rng, 8, 8, 2, 3, 2, ks)
    whole, _ = arith.tiles(a, w, last)
    for chunk in (1, 50, 300):
        monkeypatch.setattr(mac_module, "_FLOAT_TILE_CHUNK", chunk)
        np.testing.assert_array_equal(arith.tiles(a, w, last)[0], whole)
