"""BitMoD PE arrays in Verilator (Icarus smoke in the slow suite): rows vs the golden model.

One Verilator build in the default suite (a 2 x 2 narrow array, dot 2, groups of 16): the
verify phases, a negative control and a user-supplied stream share it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hwgen.design.bitmod import BitmodPEConfig
from hwgen.design.bitmod_array import BitmodArrayConfig
from hwgen.emit import emit
from hwgen.errors import HwgenError
from hwgen.formats import get_format
from hwgen.golden.bitmod.array import ArrayGroups
from hwgen.sim.fault import Fault
from hwgen.sim.stimulus_bitmod_array import BitmodArrayStimulus
from hwgen.sim.verify import VerifyOptions, Waves, verify

pytestmark = pytest.mark.sim

_SMALL = {"dot": 2, "group_size": 16, "mode": "narrow"}


@pytest.fixture(scope="session")
def array(tmp_path_factory: pytest.TempPathFactory):
    """Emit an array design (once per config) and return its directory."""
    root = tmp_path_factory.mktemp("bitmod_arrays")
    made: dict[BitmodArrayConfig, Path] = {}

    def make(rows: int, cols: int, **kw: object) -> Path:
        cfg = BitmodArrayConfig(pe=BitmodPEConfig(**kw), rows=rows, cols=cols)  # type: ignore[arg-type]
        if cfg not in made:
            made[cfg] = root / cfg.name
            emit(cfg, made[cfg])
        return made[cfg]

    return make


def test_phases_pass_with_backpressure_and_gaps(array) -> None:
    d = array(2, 2, **_SMALL)
    r = verify(d, VerifyOptions(vectors=1 << 11, seed=2, waves=Waves.NEVER))
    assert r.passed, r.summary()
    assert [name for name, _ in r.phases] == ["datatypes", "mixed", "activations", "gemm"]
    assert dict(r.phases)["gemm"] >= 1 << 11


@pytest.mark.slow  # a second Verilator build (the faulty harness)
def test_negative_control_corrupted_weight_bit(array) -> None:
    d = array(2, 2, **_SMALL)
    fault = Fault(lane=0, role="w", bit=2 * 8 + 1)  # column 1, lane 0, bit 1
    r = verify(d, VerifyOptions(vectors=1 << 9, waves=Waves.NEVER, fault=fault))
    assert not r.passed
    assert r.by_signal.get("out_man", 0) > 0
    assert all(" col 1" in m for m in r.first_mismatches)  # only column 1 is wrong


def test_quantized_sram_image_through_verify_stimulus_and_bad_values(array, tmp_path) -> None:
    # A user's path: float weights -> quantize_bitmod -> SRAM image bytes -> unpack ->
    # GEMM tiles -> .npz -> `hwgen verify DIR --stimulus FILE` on the RTL.
    from helpers import invoke_cli

    from hwgen.golden.bitmod import pack, quantize_weights, unpack
    from hwgen.golden.bitmod.array import tile_gemm

    d = array(2, 2, **_SMALL)
    rng = np.random.default_rng(5)
    packed = unpack(pack(quantize_weights(rng.standard_t(3, size=(3, 32)), "bitmod_fp4",
                                          group_size=16)))  # fmt: skip
    groups = tile_gemm(get_format("fp16").encode(rng.standard_normal((3, 32))), packed,
                       rows=2, cols=2)  # fmt: skip
    assert groups.dtype.shape == (2 * 2 * 2, 2)  # 2 row tiles x 2 channel tiles x 2 groups
    f = tmp_path / "stream.npz"
    np.savez(f, **groups.__dict__, specials=np.asarray(packed.specials))
    r = invoke_cli(["verify", str(d), "--stimulus", str(f), "--json"])
    assert r.exit_code == 0, r.stdout + r.stderr
    report = json.loads(r.stdout)
    assert report["passed"] and report["checks"] == 8 * 2 * 2 * 16
    ones = np.ones(1, dtype=np.int64)
    sel, scale = groups.sel.copy(), groups.scale.copy()
    sel[3, 1], scale[5, 0] = 4, 300
    bad_sel = ArrayGroups(**{**groups.__dict__, "sel": sel})
    with pytest.raises(HwgenError, match=r"^selector 4 is out of range \(allowed 0\.\.3\)$"):
        BitmodArrayStimulus(groups=bad_sel, specials=(10, -10, 16, -16), out_ready=ones, valid=ones)
    bad_sc = ArrayGroups(**{**groups.__dict__, "scale": scale})
    with pytest.raises(HwgenError, match=r"^scale 300 is out of range \(allowed 0\.\.255\)$"):
        BitmodArrayStimulus(groups=bad_sc, specials=(10, -10, 16, -16), out_ready=ones, valid=ones)


@pytest.mark.slow
def test_icarus_smoke(array) -> None:
    d = array(2, 2, **_SMALL)
    r = verify(d, VerifyOptions(sim="icarus", vectors=1 << 9, waves=Waves.NEVER))
    assert r.passed, r.summary()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rows", "cols", "kw"),
    [
        (4, 4, {"dot": 4, "group_size": 32, "mode": "narrow"}),
        (3, 2, {"dot": 4, "group_size": 16, "mode": "exact"}),
        (1, 5, {"dot": 2, "group_size": 16, "mode": "narrow", "acc_rounding": "nearest"}),
        (2, 3, {"dot": 4, "group_size": 32, "act_format": "bf16", "mode": "narrow"}),
    ],
    ids=["4x4_narrow", "3x2_exact", "1x5_rn", "2x3_bf16"],
)
def test_random_gemms_many_shapes(array, rows: int, cols: int, kw: dict[str, object]) -> None:
    d = array(rows, cols, **kw)
    r = verify(d, VerifyOptions(vectors=1 << 15, waves=Waves.NEVER))
    assert r.passed, r.summary()
