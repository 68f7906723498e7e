"""``hwgen quant-error``: output against the library, and one-line errors with exit 2."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from helpers import CliResult, invoke_cli

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


# ----------------------------------------------------------------------- JSON and schemes
def test_json_document_matches_the_table(weights: Path) -> None:
    import json

    args = ["--weights", str(weights), "--formats", "int4,mx:fp4_e2m1,bitmod_fp4"]
    code, out, err = run(*args, "--json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert list(doc) == [
        "schema", "source", "weights", "formats", "tensors", "all_zero_tensors", "skipped_tensors"
    ]  # fmt: skip
    assert doc["schema"] == "hwgen.quant-error/1"
    assert doc["source"] == {"kind": "file", "path": str(weights)}
    assert doc["weights"] == 32 * 256 + 64 * 128
    _, csv_out, _ = run(*args, "--csv")
    table = rows(csv_out)
    assert [(f["format"], f["scheme"]) for f in doc["formats"]] == [
        (r["format"], r["scheme"]) for r in table
    ]
    for f, r in zip(doc["formats"], table, strict=True):
        assert f["rel_mse"] == float(r["rel_mse"]) and isinstance(f["rel_mse"], float)
        assert f["lossless"] is False and f["sqnr_db"] == float(r["sqnr_db"])
    mx = next(f for f in doc["formats"] if f["scheme"] == "mx")
    assert mx["group_size"] == 32 and mx["bits_per_weight"] == 4.25
    assert len(doc["tensors"]) == 3 * 2
    assert doc["skipped_tensors"] == [{"tensor": "layers.0.attn.bias", "reason": "1-d"}]


def test_json_lossless_and_all_zero(tmp_path: Path) -> None:
    import json

    path = tmp_path / "z.npz"
    exact = np.tile(np.r_[np.arange(-7.0, 8.0), 0.0], (2, 8)).astype(np.float32)
    np.savez(path, exact=exact, zero=np.zeros((2, 128), np.float32))
    code, out, err = run("--weights", str(path), "--formats", "int4", "--json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["formats"][0]["rel_mse"] == 0.0
    assert doc["formats"][0]["sqnr_db"] is None and doc["formats"][0]["lossless"] is True
    assert doc["all_zero_tensors"] == ["zero"]
    code, out, err = run("--weights", str(path), "--formats", "int4")
    assert code == 0 and err == "hwgen: note: tensor 'zero' is all zero: not scored\n"
    assert out.splitlines()[2].split()[-1] == "inf"


def test_jobs_do_not_change_the_result(weights: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hwgen.quant.error as qe

    # Small work items and no minimum size: two worker processes really share the work.
    monkeypatch.setattr(qe, "ITEM_ELEMENTS", 1024)
    monkeypatch.setattr(qe, "_PARALLEL_MIN_ELEMENTS", 0)
    args = ["--weights", str(weights), "--formats", "int4,bitmod_fp4,mx:fp8_e4m3", "--json"]
    one = run(*args, "--jobs", "1")
    two = run(*args, "--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout


def test_help_says_how_scale_ranges_are_handled() -> None:
    _, out, _ = run("--help")
    text = " ".join(out.split())
    assert "INT8 codes against a per-output-channel float scale" in text
    assert "E8M0" in text and "power-of-two per-row scale" in text
    assert "No scale is clamped" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--formats", "int4", "--csv", "--json"],
            "--csv and --json exclude each other: choose one",
        ),
        (["--formats", "int4", "--jobs", "0"], "--jobs must be >= 1, not 0"),
        (
            ["--formats", "mx:int4"],
            "MX element format must be one of fp8_e4m3, fp8_e5m2, fp6_e3m2, fp6_e2m3, fp4_e2m1,"
            " int8, not int4",
        ),
        (
            ["--formats", "int4", "--scheme", "bitmod"],
            "the bitmod scheme needs a mixture such as bitmod_fp4, not int4",
        ),
        (
            ["--formats", "absmax:bitmod_fp4"],
            "bitmod_fp4 is a mixture: it is quantized with the bitmod scheme only",
        ),
        (
            ["--formats", "ant:int4"],
            "--formats entry 'ant:int4': scheme must be one of auto, absmax, mx, bitmod, not 'ant'",
        ),
        (
            ["--formats", "int4", "--group-size", "abc"],
            "Invalid value for '--group-size': 'abc' is not a valid integer."
            " (see `hwgen quant-error --help`)",
        ),
        (
            ["--formats", "int4", "--jobs", "2.5"],
            "Invalid value for '--jobs': '2.5' is not a valid integer."
            " (see `hwgen quant-error --help`)",
        ),
        (
            ["--formats"],
            "Option '--formats' requires an argument.",
        ),
        (["--weights", "w.npy"], "Missing option '--formats'. (see `hwgen quant-error --help`)"),
        (
            ["--formats", "int4", "--xyzzy"],
            "No such option '--xyzzy'. (see `hwgen quant-error --help`)",
        ),
    ],
)
def test_bad_options_are_exactly_one_line(args: list[str], message: str) -> None:
    assert run(*args) == (EXIT_USAGE, "", f"hwgen: error: {message}\n")


def test_empty_tensors_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "e.npz"
    np.savez(path, empty=np.zeros((0, 128), np.float32), w=np.ones((2, 128), np.float32))
    assert run("--weights", str(path), "--formats", "int4") == (
        EXIT_USAGE,
        "",
        "hwgen: error: tensor 'empty' is empty (shape 0x128): there is nothing to quantize"
        " (leave it out with --match)\n",
    )
    code, out, _ = run("--weights", str(path), "--formats", "int4", "--match", "^w$")
    assert code == 0 and "int4" in out


def test_every_tensor_all_zero_is_an_error(tmp_path: Path) -> None:
    np.save(tmp_path / "z.npy", np.zeros((4, 128), np.float32))
    assert run("--weights", str(tmp_path / "z.npy"), "--formats", "int4") == (
        EXIT_USAGE,
        "",
        "hwgen: error: every selected tensor is all zero (z): the relative error is undefined\n",
    )


@pytest.mark.parametrize("factor", [1e-6, 1e-12, 1e5, "max"])
def test_weights_far_from_unit_scale_give_the_same_ranking(tmp_path: Path, factor) -> None:
    w = np.random.default_rng(3).standard_t(4, (64, 256)).astype(np.float32) * 0.02
    c = 1e38 / np.abs(w).max() if factor == "max" else factor
    np.save(tmp_path / "a.npy", w)
    np.save(tmp_path / "b.npy", (w.astype(np.float64) * c).astype(np.float32))
    fmts = "int4,fp4_e2m1,bitmod_fp4,bitmod_fp3,flint4"
    a = rows(run("--weights", str(tmp_path / "a.npy"), "--formats", fmts, "--csv").stdout)
    b = rows(run("--weights", str(tmp_path / "b.npy"), "--formats", fmts, "--csv").stdout)
    assert [r["format"] for r in a] == [r["format"] for r in b]
    for ra, rb in zip(a, b, strict=True):
        assert float(rb["rel_mse"]) == pytest.approx(float(ra["rel_mse"]), rel=1e-5)
