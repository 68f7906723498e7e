"""``hwgen verify DIR --stimulus FILE.npz``: a user's stream, bad values as one line (exit 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import invoke_cli

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.bitmod_array import BitmodArrayConfig
from hwgen.design.mac import MacConfig
from hwgen.emit import emit
from hwgen.errors import HwgenError
from hwgen.sim.stream_file import stimulus_from_file

_PE = BitmodPEConfig(dot=1, group_size=8, mode="narrow")


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("stream_designs")
    out = {}
    for key, cfg in (
        ("pe", _PE),
        ("array", BitmodArrayConfig(pe=_PE, rows=1, cols=2)),
        ("mac", MacConfig(a_format="int8", w_format="int8")),
    ):
        out[key] = root / key
        emit(cfg, out[key])
    return out


def _array_stream(**over: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    d = {
        "a": rng.integers(0, 0x7C00, size=(2, 1, 8)),
        "w": rng.integers(0, 8, size=(2, 2, 8)),
        "dtype": np.array([[2, 4], [0, 1]]),
        "sel": np.array([[0, 1], [2, 3]]),
        "scale": np.array([[1, 2], [255, 0]]),
    }
    return {**d, **over}


def _pe_stream(**over: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    d = {
        "dtype": np.array([2, 4]),
        "sel": np.array([[0], [3]]),
        "scale": np.array([[7], [255]]),
        "w": rng.integers(0, 8, size=(2, 1, 8)),
        "a": rng.integers(0, 0x7C00, size=(2, 1, 8)),
    }
    return {**d, **over}


@pytest.mark.parametrize(
    ("kind", "over", "message"),
    [
        ("array", {"sel": [[0, 4], [0, 0]]}, "selector 4 is out of range (allowed 0..3)"),
        ("array", {"scale": [[0, 0], [-1, 0]]}, "scale -1 is out of range (allowed 0..255)"),
        ("array", {"dtype": [[0, 9], [0, 0]]}, "datatype code 9 is out of range (allowed 0..7)"),
        ("pe", {"sel": [[5], [0]]}, "selector 5 is out of range (allowed 0..3)"),
        ("pe", {"scale": [[256], [0]]}, "scale 256 is out of range (allowed 0..255)"),
        ("pe", {"scale": [[1.5], [0]]}, "scale values must be integers, not dtype float64"),
        ("pe", {"scale": [[-3], [0]]}, "scale -3 is out of range (allowed 0..255)"),
        ("pe", {"sel": [[-1], [0]]}, "selector -1 is out of range (allowed 0..3)"),
        ("pe", {"dtype": [2, 8]}, "datatype code 8 is out of range (allowed 0..7)"),
        ("pe", {"specials": [40, 1, 2, 3]},
         "specials[0] 40 is not representable: magnitude must be < 32 with at most two one-bits"
         " (e.g. 3, 6, 10, 16, 24)"),
        ("pe", {"out_ready": [0, 0]}, "the out_ready pattern must contain a 1"),
        ("array", {"specials": [1, 2, 3]},
         "specials must be 4 integers (one per selector), not (1, 2, 3)"),
        ("array", {"a": np.full((2, 1, 8), 1 << 16)},
         "activation code 65536 is out of range (allowed 0..65535)"),
    ],
)  # fmt: skip
def test_bad_values_are_one_line_exit_2(
    dirs: dict[str, Path], tmp_path: Path, kind: str, over: dict, message: str
) -> None:
    f = tmp_path / "s.npz"
    arrays = {k: np.asarray(v) for k, v in over.items()}
    np.savez(f, **(_array_stream if kind == "array" else _pe_stream)(**arrays))
    r = invoke_cli(["verify", str(dirs[kind]), "--stimulus", str(f)])
    assert r.exit_code == 2
    assert r.stderr == f"hwgen: error: {message}\n"


def test_shape_and_file_problems(dirs: dict[str, Path], tmp_path: Path) -> None:
    f = tmp_path / "s.npz"
    np.savez(f, **_array_stream(a=np.zeros((2, 3, 8), dtype=np.int64)))
    with pytest.raises(
        HwgenError, match=r"^the stream has \(rows, cols, group size\) = \(3, 2, 8\)"
    ):
        stimulus_from_file(dirs["array"], f)
    np.savez(f, **{k: v for k, v in _array_stream().items() if k != "w"})
    with pytest.raises(HwgenError, match=r"^the stream file lacks arrays: w$"):
        stimulus_from_file(dirs["array"], f)
    np.savez(f, **_pe_stream(), extra=np.zeros(1))
    with pytest.raises(HwgenError, match=r"^unknown arrays in the stream file: extra$"):
        stimulus_from_file(dirs["pe"], f)
    np.savez(f, **_pe_stream(a=np.full((2, 1, 8), 1 << 16)))
    with pytest.raises(HwgenError, match=r"^activation code 65536 is out of range"):
        stimulus_from_file(dirs["pe"], f)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(HwgenError, match=r"^cannot read .*junk\.npz: not a \.npz file"):
        stimulus_from_file(dirs["pe"], tmp_path / "junk.npz")
    with pytest.raises(
        HwgenError, match=r"^--stimulus is supported for bitmod_pe, bitmod_array designs, not mac$"
    ):
        stimulus_from_file(dirs["mac"], f)
    with pytest.raises(HwgenError, match=r"^cannot read .*missing\.npz: "):
        stimulus_from_file(dirs["pe"], tmp_path / "missing.npz")


def test_good_streams_load(dirs: dict[str, Path], tmp_path: Path) -> None:
    f = tmp_path / "s.npz"
    np.savez(f, **_array_stream(), specials=np.array([6, -6, 3, -3]))
    s = stimulus_from_file(dirs["array"], f)
    assert s.specials == (6, -6, 3, -3) and s.macs == 2 * 1 * 2 * 8
    np.savez(f, **_pe_stream())
    assert stimulus_from_file(dirs["pe"], f).macs == 2 * 8
