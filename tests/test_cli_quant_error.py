"""``hwgen quant-error``: output against the library, and one-line errors with exit 2."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from conftest import CliResult, invoke_cli

from hwgen.cli.main import EXIT_USAGE, HwgenGroup
from hwgen.cli.quant_error_cmd import PER_TENSOR_HEADERS, SUMMARY_HEADERS, quant_error
from hwgen.quant import rank_formats, select_tensors, synthetic_tensors

# The command inside the same error boundary the hwgen group uses.
GROUP = HwgenGroup("hwgen", commands=[quant_error])


def run(*args: str) -> CliResult:
    return invoke_cli(["quant-error", *args], command=GROUP)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    """A small npz: two selectable matrices and a bias that is never selected."""
    rng = np.random.default_rng(7)
    path = tmp_path / "model.npz"
    np.savez(
        path,
        **{
            "layers.0.mlp.weight": rng.laplace(0, 0.02, (32, 256)).astype(np.float32),
            "layers.0.attn.weight": rng.standard_t(3, (64, 128)).astype(np.float32),
            "layers.0.attn.bias": np.zeros(128, np.float32),
        },
    )
    return path


def test_csv_summary_matches_rank_formats(weights: Path) -> None:
    code, out, err = run("--weights", str(weights), "--formats", "int4, fp4_e2m1,int8", "--csv")
    assert code == 0, err
    got = rows(out)
    assert list(got[0]) == list(SUMMARY_HEADERS)
    tensors = select_tensors(np.load(weights), group_size=128, match=None)
    want = rank_formats(tensors, ["int4", "fp4_e2m1", "int8"])
    assert [r["format"] for r in got] == want["format"].tolist()
    np.testing.assert_array_equal([float(r["rel_mse"]) for r in got], want["rel_mse"])
    np.testing.assert_array_equal([int(r["bits"]) for r in got], want["bits"])


def test_table_output_and_match(weights: Path) -> None:
    code, out, _ = run("--weights", str(weights), "--formats", "bitmod_fp4,int4", "--match", "mlp")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == list(SUMMARY_HEADERS)
    assert [ln.split()[0] for ln in lines[2:]] == ["bitmod_fp4", "int4"]


def test_per_tensor_csv(weights: Path) -> None:
    code, out, _ = run(
        "--weights", str(weights), "--formats", "int4,int3", "--per-tensor", "--csv",
        "--group-size", "64",
    )  # fmt: skip
    assert code == 0
    got = rows(out)
    assert list(got[0]) == list(PER_TENSOR_HEADERS)
    assert [(r["format"], r["tensor"]) for r in got] == [
        (f, t) for f in ("int4", "int3") for t in ("layers.0.mlp.weight", "layers.0.attn.weight")
    ]


def test_synthetic_weights_follow_dist_and_seed() -> None:
    code, out, _ = run("--formats", "int4", "--dist", "student-t", "--seed", "3", "--csv")
    assert code == 0
    want = rank_formats(synthetic_tensors("student-t", seed=3), ["int4"])
    assert float(rows(out)[0]["rel_mse"]) == want.loc[0, "rel_mse"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--formats", "int4,fp4_e2m"], "unknown format 'fp4_e2m'; did you mean fp4_e2m1"),
        (["--formats", "int4,,int8"], "--formats has an empty name in 'int4,,int8'"),
        (
            ["--formats", "int4", "--group-size", "3"],
            "group size 3 divides the last dimension of no tensor"
            " (last dimensions: 256, 512, 1024)",
        ),
        (["--formats", "int4", "--group-size", "0"], "--group-size must be >= 1, not 0"),
        (["--formats", "int4", "--match", "("], "bad tensor-name regex '('"),
        (["--formats", "int4", "--match", "^lm_head"], "no tensor name matches '^lm_head'"),
        (["--formats", "int4", "--weights", "missing.npy"], "'missing.npy' does not exist"),
    ],
)
def test_errors_are_one_line_with_exit_2(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == EXIT_USAGE
    assert out == ""
    assert err.count("\n") == 1 and message in err


def test_unreadable_and_nan_weights(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"\x93NUMPY garbage")
    code, _, err = run("--weights", str(bad), "--formats", "int4")
    assert code == EXIT_USAGE and "cannot read weights file" in err and err.count("\n") == 1
    w = np.ones((4, 128), np.float32)
    w[2, 3] = np.nan
    np.save(tmp_path / "nan.npy", w)
    code, _, err = run("--weights", str(tmp_path / "nan.npy"), "--formats", "int4")
    assert code == EXIT_USAGE and "tensor 'nan' holds 1 NaN/inf value(s)" in err


def test_bad_dist_is_a_click_usage_error() -> None:
    code, _, err = run("--formats", "int4", "--dist", "cauchy")
    assert code == EXIT_USAGE and "'cauchy' is not one of" in err
