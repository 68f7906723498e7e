"""GEMM operand sources and the per-design evaluation over weight matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from hwgen.accuracy import (
    OUTLIER_SCALE,
    ActDist,
    ActivationQuant,
    GemmDesign,
    SyntheticActivations,
    WeightLayout,
    WeightQuant,
    evaluate_design,
    gemm_error,
    load_activations,
    synthetic_weights,
    weight_matrices,
)
from hwgen.errors import HwgenError
from hwgen.quant import synthetic_tensors

DESIGN = GemmDesign(
    activations=ActivationQuant(format="fp8_e4m3"),
    weights=WeightQuant(format="int4", group_size=32),
)


# ----------------------------------------------------------------------- activations
def test_synthetic_activations_are_seeded_and_have_outlier_channels() -> None:
    src = SyntheticActivations(dist="student-t-outliers", tokens=2048, seed=5)
    a = src.sample(512)
    assert a.shape == (2048, 512)
    np.testing.assert_array_equal(a, src.sample(512))
    assert not np.array_equal(a, src.sample(512, stream=1))
    assert src.outliers_for(512) == 4 and src.outliers_for(64) == 1
    std = a.std(axis=0)
    big = np.sort(np.argsort(std)[-4:])
    assert np.all(std[big] > 8 * np.median(std))  # 20x in scale, Student-t noise in std
    rest = np.delete(std, big)
    assert rest.max() < 3 * np.median(std)
    plain = SyntheticActivations(dist=ActDist.STUDENT_T, tokens=4096).sample(64)
    assert plain.std() == pytest.approx(1.0, rel=0.15)
    assert SyntheticActivations(dist="gaussian").outliers_for(1024) == 0
    forced = SyntheticActivations(dist="laplace", outlier_channels=2, outlier_scale=10.0)
    assert forced.outliers_for(8) == 2
    assert OUTLIER_SCALE == 20.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"dist": "cauchy"},
            "activation distribution must be one of gaussian, laplace, student-t,"
            " student-t-outliers, not 'cauchy'",
        ),
        ({"dist": "gaussian", "tokens": 0}, "tokens must be >= 1, not 0"),
        ({"dist": "gaussian", "seed": -1}, "seed must be an integer >= 0, not -1"),
        (
            {"dist": "gaussian", "outlier_channels": -2},
            "outlier_channels must be an integer >= 0 or None, not -2",
        ),
        ({"dist": "gaussian", "outlier_scale": 0.0}, "outlier_scale must be a number > 0, not 0.0"),
    ],
)
def test_bad_synthetic_activations(kwargs, message) -> None:
    with pytest.raises(HwgenError) as e:
        SyntheticActivations(**kwargs)
    assert str(e.value) == message


def test_too_many_outliers() -> None:
    with pytest.raises(HwgenError, match=r"^outlier_channels 9 exceeds the 8 channels$"):
        SyntheticActivations(dist="gaussian", outlier_channels=9).sample(8)


def test_load_activations(tmp_path: Path) -> None:
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.save(tmp_path / "a.npy", a)
    np.savez(tmp_path / "one.npz", x=a[0])
    np.savez(tmp_path / "two.npz", x=a[0], y=a[1])
    got = load_activations(tmp_path / "a.npy")
    assert got.shape == (6, 4) and got.dtype == np.float64
    np.testing.assert_array_equal(load_activations(tmp_path / "one.npz"), a[0])
    np.testing.assert_array_equal(load_activations(tmp_path / "two.npz", name="y"), a[1])


def test_bad_activation_files(tmp_path: Path) -> None:
    np.savez(tmp_path / "two.npz", x=np.ones((2, 2)), y=np.ones((2, 2)))
    np.save(tmp_path / "int.npy", np.ones((2, 2), dtype=np.int32))
    np.save(tmp_path / "vec.npy", np.ones(3))
    np.save(tmp_path / "nan.npy", np.array([[np.nan, 1.0]]))
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    cases = {
        tmp_path / "a.txt": "must end in .npy, .npz, not '.txt'",
        tmp_path / "none.npy": "does not exist",
        tmp_path / "two.npz": "holds 2 arrays (x, y); name one",
        tmp_path / "int.npy": "must be floating point, not int32",
        tmp_path / "vec.npy": "must have >= 2 dimensions (tokens x K), not shape (3,)",
        tmp_path / "nan.npy": "hold 1 NaN/inf value(s)",
        tmp_path / "junk.npy": "cannot read activations file",
    }
    for path, text in cases.items():
        with pytest.raises(HwgenError) as e:
            load_activations(path)
        assert text in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(HwgenError, match=r"has no array 'z' \(arrays: x, y\)$"):
        load_activations(tmp_path / "two.npz", name="z")


def test_empty_activation_file_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "empty.npy", np.zeros((0, 512)))
    with pytest.raises(HwgenError) as e:
        load_activations(tmp_path / "empty.npy")
    assert str(e.value) == (
        f"activations in {str(tmp_path / 'empty.npy')!r} are empty (shape (0, 512)); every"
        " dimension must be >= 1"
    )


# ----------------------------------------------------------------------- weights
def test_weight_matrices_transpose_stored_linear_layers(tmp_path: Path) -> None:
    fc = np.arange(12, dtype=np.float32).reshape(3, 4)  # (out, in)
    save_file({"fc.weight": fc, "fc.bias": np.ones(3, np.float32)}, str(tmp_path / "m.safetensors"))
    got = weight_matrices(tmp_path / "m.safetensors")
    assert list(got) == ["fc.weight"]
    np.testing.assert_array_equal(got["fc.weight"], fc.T)
    same = weight_matrices(tmp_path / "m.safetensors", layout=WeightLayout.IN_OUT, match="fc")
    np.testing.assert_array_equal(same["fc.weight"], fc)
    save_file(
        {"b": np.ones(3, np.float32), "c": np.ones((2, 2, 2), np.float32)},
        str(tmp_path / "x.safetensors"),
    )
    with pytest.raises(HwgenError, match=r"holds no 2-D floating tensor \(c \(2, 2, 2\)\)$"):
        weight_matrices(tmp_path / "x.safetensors")
    with pytest.raises(
        HwgenError, match=r"^weight layout must be one of out-in, in-out, not 'kn'$"
    ):
        weight_matrices(tmp_path / "m.safetensors", layout="kn")  # type: ignore[arg-type]


def test_synthetic_weights_match_the_weight_tables() -> None:
    w = synthetic_weights("laplace", 64, 16, seed=3)
    (t,) = synthetic_tensors("laplace", 3, shapes=[(16, 64)]).values()
    assert w.shape == (64, 16)
    np.testing.assert_array_equal(w, t.T)
    with pytest.raises(HwgenError, match=r"^N must be >= 1, not 0$"):
        synthetic_weights("laplace", 64, 0)


# ----------------------------------------------------------------------- evaluation
def test_evaluate_design_means_over_weights() -> None:
    weights = {
        "q": synthetic_weights("gaussian", 64, 32),
        "fc2": synthetic_weights("student-t", 128, 64, seed=1),
    }
    src = SyntheticActivations(dist="student-t-outliers", tokens=16)
    res = evaluate_design(DESIGN, weights, src)
    assert [t.tensor for t in res.tensors] == ["q", "fc2"]
    assert [(t.m, t.k, t.n) for t in res.tensors] == [(16, 64, 32), (16, 128, 64)]
    one = gemm_error(src.sample(128, stream=1), weights["fc2"], DESIGN)
    assert res.tensors[1].result == one
    assert res.rel_mse == pytest.approx(np.mean([t.result.rel_mse for t in res.tensors]))
    assert res.sqnr_db == pytest.approx(-10 * np.log10(res.rel_mse))
    assert res.design == DESIGN.label


def test_evaluate_design_bad_input() -> None:
    w = {"fc1": np.ones((768, 8))}
    with pytest.raises(HwgenError) as e:
        evaluate_design(DESIGN, w, np.ones((4, 1024)))
    assert str(e.value) == (
        "activations have K = 1024 (shape (4, 1024)) but weight 'fc1' has K = 768"
        " (W is (768, 8), K x N)"
    )
    with pytest.raises(HwgenError, match=r"^at least one weight matrix is needed, not none$"):
        evaluate_design(DESIGN, {}, np.ones((4, 8)))
    with pytest.raises(
        HwgenError, match=r"^weight 'fc1': weight group size 32 does not divide K = 40$"
    ):
        evaluate_design(DESIGN, {"fc1": np.ones((40, 8))}, np.ones((4, 40)))
