"""Weight loading, tensor selection, synthetic tensors and the format ranking."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from safetensors.numpy import save_file

from hwgen.errors import HwgenError
from hwgen.formats import get
from hwgen.quant import (
    ABSMAX_SCALE_BITS,
    BITMOD_SCALE_BITS,
    DEFAULT_SHAPES,
    Dist,
    bits_per_weight,
    load_tensors,
    open_weights,
    quantize_bitmod,
    quantize_groups,
    rank_formats,
    select_tensors,
    synthetic_tensors,
)

SMALL = ((64, 256), (128, 128))


def write_safetensors(path: Path, tensors: dict[str, tuple[str, tuple[int, ...], bytes]]) -> None:
    """A safetensors file written from raw (dtype string, shape, little-endian bytes)."""
    header, blobs, offset = {}, [], 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {
            "dtype": dtype,
            "shape": list(shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# ----------------------------------------------------------------------- loading
def test_load_npy_npz_and_safetensors(tmp_path: Path) -> None:
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.linspace(-1, 1, 8).reshape(2, 4)
    np.save(tmp_path / "layer.npy", a)
    np.savez(tmp_path / "w.npz", a=a, b=b)
    save_file({"a": a, "b": b}, str(tmp_path / "w.safetensors"))
    assert list(load_tensors(tmp_path / "layer.npy")) == ["layer"]
    np.testing.assert_array_equal(load_tensors(tmp_path / "layer.npy")["layer"], a)
    for name in ("w.npz", "w.safetensors"):
        got = load_tensors(str(tmp_path / name))
        assert sorted(got) == ["a", "b"]
        np.testing.assert_array_equal(got["a"], a)
        np.testing.assert_array_equal(got["b"], b)


def test_load_bf16_and_fp8_safetensors_widen_exactly(tmp_path: Path) -> None:
    vals = np.array([[1.0, -2.5, 3.0, 0.15625], [2.0**-100, -(2.0**100), 0.0, 7.0]])
    bf16 = vals.astype(ml_dtypes.bfloat16)
    f32 = np.array([1.5, -4.0], np.float32)
    codes = np.arange(256, dtype=np.uint8).reshape(2, 128)
    path = tmp_path / "m.safetensors"
    write_safetensors(
        path,
        {
            "w": ("BF16", vals.shape, bf16.view("<u2").tobytes()),
            "bias": ("F32", f32.shape, f32.astype("<f4").tobytes()),
            "e4m3": ("F8_E4M3", codes.shape, codes.tobytes()),
            "e5m2": ("F8_E5M2", codes.shape, codes.tobytes()),
        },
    )
    got = load_tensors(path)
    assert got["w"].dtype == np.float32 and got["w"].shape == vals.shape
    np.testing.assert_array_equal(got["w"], bf16.astype(np.float32))
    np.testing.assert_array_equal(got["bias"], f32)
    with np.errstate(invalid="ignore"):
        for name, t in (("e4m3", ml_dtypes.float8_e4m3fn), ("e5m2", ml_dtypes.float8_e5m2)):
            ref = codes.view(t).astype(np.float32)
            np.testing.assert_array_equal(got[name], ref)


def test_rows_are_read_in_chunks(tmp_path: Path) -> None:
    w = np.arange(64 * 32, dtype=np.float32).reshape(4, 16, 32)
    np.save(tmp_path / "w.npy", w)
    np.savez(tmp_path / "s.npz", w=w)
    np.savez_compressed(tmp_path / "c.npz", w=w)
    save_file({"w": w}, str(tmp_path / "w.safetensors"))
    np.save(tmp_path / "f.npy", np.asfortranarray(w))
    for name in ("w.npy", "s.npz", "c.npz", "w.safetensors", "f.npy"):
        (src,) = open_weights(tmp_path / name)
        assert (src.nrows, src.ncols) == (64, 32)
        np.testing.assert_array_equal(src.read_rows(10, 13), w.reshape(64, 32)[10:13])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("w.txt", b"1 2 3", r"must end in \.npy, \.npz, \.safetensors, not '\.txt'$"),
        ("w.npy", b"not a numpy file at all", r"^cannot read weights file '.*w\.npy': "),
        ("w.npz", b"PK garbage", r"^cannot read weights file '.*w\.npz': "),
        ("w.safetensors", b"\x01", r"^cannot read weights file '.*w\.safetensors': "),
    ],
)
def test_load_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(HwgenError, match=message) as info:
        load_tensors(path)
    assert "\n" not in str(info.value)


def test_load_missing_file_and_pickles(tmp_path: Path) -> None:
    with pytest.raises(HwgenError, match=r"^weights file '.*nope\.npz' does not exist$"):
        load_tensors(tmp_path / "nope.npz")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(HwgenError, match=r"^cannot read weights file '.*obj\.npy': .*pickle"):
        load_tensors(tmp_path / "obj.npy")


def test_load_safetensors_unsupported_dtype(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    write_safetensors(path, {"z": ("F8_E8M0", (1,), b"\0")})
    with pytest.raises(
        HwgenError,
        match=r"^cannot read weights file '.*c\.safetensors': tensor 'z': dtype F8_E8M0 is not",
    ):
        load_tensors(path)


# ----------------------------------------------------------------------- selection
def _zoo() -> dict[str, np.ndarray]:
    return {
        "attn.q.weight": np.ones((4, 256), np.float32),
        "attn.q.bias": np.ones(256, np.float32),
        "mlp.up.weight": np.ones((8, 384), np.float16),
        "emb.ids": np.ones((4, 256), np.int64),
        "odd.weight": np.ones((4, 100), np.float32),
    }


def test_select_keeps_floating_matrices_with_divisible_last_dim() -> None:
    assert list(select_tensors(_zoo(), group_size=128)) == ["attn.q.weight", "mlp.up.weight"]
    assert list(select_tensors(_zoo(), group_size=128, match=r"^mlp\.")) == ["mlp.up.weight"]
    assert "odd.weight" in select_tensors(_zoo(), group_size=4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(group_size=128, match="^lm_head"), r"^no tensor name matches '\^lm_head' \(names: "),
        (
            dict(group_size=7),
            r"^group size 7 divides the last dimension of no tensor"
            r" \(last dimensions: 100, 256, 384\)$",
        ),
        (dict(group_size=128, match="("), r"^bad tensor-name regex '\(': "),
        (dict(group_size=0), r"^group size must be >= 1, not 0$"),
        (
            dict(group_size=128, match=r"bias|ids"),
            r"^no floating-point tensor with >= 2 dimensions among attn\.q\.bias, emb\.ids$",
        ),
    ],
)
def test_select_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(HwgenError, match=message):
        select_tensors(_zoo(), **kwargs)


def test_select_from_an_empty_file(tmp_path: Path) -> None:
    np.savez(tmp_path / "empty.npz")
    with pytest.raises(HwgenError, match=r"^no tensors to choose from: the input holds none$"):
        select_tensors(load_tensors(tmp_path / "empty.npz"), group_size=128)


def test_select_names_the_tensor_holding_nan() -> None:
    zoo = _zoo()
    zoo["mlp.up.weight"] = zoo["mlp.up.weight"].copy()
    zoo["mlp.up.weight"][3, 7] = np.nan
    with pytest.raises(HwgenError, match=r"^tensor 'mlp\.up\.weight' holds 1 NaN/inf value\(s\)$"):
        select_tensors(zoo, group_size=128)
    # A tensor that is not selected may hold anything.
    assert list(select_tensors(zoo, group_size=128, match="attn")) == ["attn.q.weight"]


# ----------------------------------------------------------------------- synthetic
def test_synthetic_tensors_are_deterministic_float32() -> None:
    a = synthetic_tensors("laplace", seed=3)
    b = synthetic_tensors(Dist.LAPLACE, seed=3)
    c = synthetic_tensors("laplace", seed=4)
    assert [v.shape for v in a.values()] == list(DEFAULT_SHAPES)
    assert all(v.dtype == np.float32 for v in a.values())
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
        assert not np.array_equal(a[k], c[k])


def test_synthetic_tails_order_by_distribution() -> None:
    def kurtosis(d: str) -> float:
        w = np.concatenate([v.ravel() for v in synthetic_tensors(d, shapes=SMALL).values()])
        w = w.astype(np.float64)
        return float(np.mean(w**4) / np.mean(w**2) ** 2)

    stds = [
        float(np.std(np.concatenate([v.ravel() for v in synthetic_tensors(d.value).values()])))
        for d in Dist
    ]
    np.testing.assert_allclose(stds, stds[0], rtol=0.05)
    kg, kl, kt = (kurtosis(d.value) for d in (Dist.GAUSSIAN, Dist.LAPLACE, Dist.STUDENT_T))
    assert kg < kl < kt


def test_synthetic_bad_arguments() -> None:
    with pytest.raises(
        HwgenError,
        match=r"^distribution must be one of gaussian, laplace, student-t, not 'cauchy'$",
    ):
        synthetic_tensors("cauchy")
    with pytest.raises(HwgenError, match=r"^shape must be a tuple of integers >= 1, not \(0, 4\)$"):
        synthetic_tensors("gaussian", shapes=((0, 4),))
    with pytest.raises(HwgenError, match=r"^seed must be >= 0, not -1$"):
        synthetic_tensors("gaussian", seed=-1)


# ----------------------------------------------------------------------- ranking
def test_rank_orders_int8_before_int4_and_fp4_before_int4_on_laplace() -> None:
    t = synthetic_tensors("laplace", shapes=SMALL)
    df = rank_formats(t, ["int4", "fp4_e2m1", "int8"], group_size=128)
    assert list(df.columns) == [
        "format", "bits", "bits_per_weight", "scheme", "group_size", "rel_mse", "sqnr_db"
    ]  # fmt: skip
    assert df["format"].tolist() == ["int8", "fp4_e2m1", "int4"]
    assert df["rel_mse"].is_monotonic_increasing
    np.testing.assert_allclose(df["sqnr_db"], -10 * np.log10(df["rel_mse"]))


def test_rank_values_match_the_quantizers() -> None:
    t = synthetic_tensors("student-t", shapes=SMALL, seed=1)
    df = rank_formats(t, ["bitmod_fp3", get("int4")], group_size=64).set_index("format")
    int4, mix = get("int4"), get("bitmod_fp3")
    want_int4 = np.mean(
        [
            np.sum((w - quantize_groups(w, int4, group_size=64).dequant) ** 2)
            / np.sum(w.astype(np.float64) ** 2)
            for w in t.values()
        ]
    )
    want_mix = np.mean(
        [
            np.sum(
                (w - quantize_bitmod(w, mix, group_size=64, second_level_int8=True).dequant) ** 2
            )
            / np.sum(w.astype(np.float64) ** 2)
            for w in t.values()
        ]
    )
    assert df.loc["int4", "rel_mse"] == pytest.approx(want_int4, rel=1e-12)
    assert df.loc["bitmod_fp3", "rel_mse"] == pytest.approx(want_mix, rel=1e-12)
    assert df.loc["int4", "bits"] == int4.bits
    assert df.loc["int4", "bits_per_weight"] == int4.bits + ABSMAX_SCALE_BITS / 64
    assert df.loc["bitmod_fp3", "bits_per_weight"] == (
        mix.bits + (BITMOD_SCALE_BITS + mix.selector_bits) / 64
    )
    assert df.loc["bitmod_fp3", "scheme"] == "bitmod"
    assert (
        bits_per_weight(mix, group_size=128)
        == mix.bits + (BITMOD_SCALE_BITS + mix.selector_bits) / 128
    )


def test_rank_per_tensor_frame_and_progress(capsys: pytest.CaptureFixture[str]) -> None:
    t = synthetic_tensors("gaussian", shapes=SMALL)
    summary, detail = rank_formats(
        t, ["fp4_e2m1", "int3", "fp4_e2m1"], per_tensor=True, progress=True
    )
    assert summary["format"].tolist() == ["fp4_e2m1", "int3"]  # a repeated name counts once
    assert list(detail.columns) == ["format", "scheme", "tensor", "rel_mse", "sqnr_db"]
    assert detail["format"].tolist() == ["fp4_e2m1"] * 2 + ["int3"] * 2
    assert detail["tensor"].tolist() == list(t) * 2
    means = detail.groupby("format", sort=False)["rel_mse"].mean()
    np.testing.assert_allclose(summary.set_index("format")["rel_mse"], means)
    assert capsys.readouterr().out == ""  # the bar goes to stderr only


def test_rank_all_zero_tensors_are_not_scored() -> None:
    with pytest.raises(HwgenError) as info:
        rank_formats({"z": np.zeros((2, 128), np.float32)}, ["int4"])
    assert str(info.value) == (
        "every selected tensor is all zero (z): the relative error is undefined"
    )
    w = synthetic_tensors("gaussian", shapes=((4, 128),))
    with_zero = {**w, "z": np.zeros((2, 128), np.float32)}
    a = rank_formats(w, ["int4"])
    b, detail = rank_formats(with_zero, ["int4"], per_tensor=True)
    assert a.loc[0, "rel_mse"] == b.loc[0, "rel_mse"]  # the zero tensor is not in the mean
    assert "z" not in detail["tensor"].tolist()


def test_rank_lossless_format_has_infinite_sqnr() -> None:
    df = rank_formats({"w": np.tile(np.r_[np.arange(-7.0, 8.0), 0.0], (2, 8))}, ["int4"])
    assert df.loc[0, "rel_mse"] == 0.0 and df.loc[0, "sqnr_db"] == np.inf


def test_rank_errors_name_the_tensor_and_format() -> None:
    t = {"a": np.ones((2, 128)), "b": np.ones((2, 96))}
    with pytest.raises(
        HwgenError, match=r"^tensor 'b': group size 128 does not divide its last dimension 96$"
    ):
        rank_formats(t, ["int4"])
    with pytest.raises(HwgenError, match=r"unknown format 'int4b'"):
        rank_formats(t, ["int4b"])
    with pytest.raises(HwgenError, match=r"^at least one format is needed, not none$"):
        rank_formats(t, [])
    with pytest.raises(HwgenError, match=r"^at least one tensor is needed, not none$"):
        rank_formats({}, ["int4"])
